package exports

import (
	"fmt"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/passwords"
)

// A provider may hold an account whose email only looks like another's
// ("\u212aate@" with the Kelvin sign, a fullwidth letter): Authgear folds
// it onto "kate@" (NFKC and case folding of the local part). Its hash
// must not become a sidecar entry: a login handler could find it for the
// real address, and the password of the look-alike's owner would then be
// captured into the real owner's Authgear account. It is listed as not
// carried instead; ordinary addresses still get their entry.
func TestAttackLookAlikeEmailNoSidecarEntry(t *testing.T) {
	params := &passwords.FirebaseParams{SignerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", SaltSeparator: "Bw==", Rounds: 8, MemCost: 14}
	const hash, salt = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==", "42xEC+ixf3L2lw=="
	emails := []string{"\u212aate@example.com", "\uff4bate@example.com", "stra\u00dfe@example.com", "kate@\uff45xample.com", "kate@example.com"}
	var b strings.Builder
	b.WriteString(`{"users":[`)
	for i, e := range emails {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"localId":"u%d","email":%q,"emailVerified":true,"passwordHash":%q,"salt":%q}`, i, e, hash, salt)
	}
	b.WriteString("]}")
	users, err := ReadFirebase(strings.NewReader(b.String()), Options{Firebase: params})
	if err != nil {
		t.Fatal(err)
	}
	entries := SidecarEntries(users)
	if len(entries) != 1 || entries[0].LoginID != "kate@example.com" {
		var got []string
		for _, e := range entries {
			got = append(got, fmt.Sprintf("%+q", e.LoginID))
		}
		t.Fatalf("sidecar entries for %v, want only kate@example.com", got)
	}
	for _, u := range users[:len(users)-1] {
		wantNotCarried(t, u, "password: the email is one Authgear would fold")
	}
}
