package passwords

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"

	"golang.org/x/crypto/pbkdf2"
)

// djangoHash makes a cheap Django PBKDF2 hash of password.
func djangoHash(password string) string {
	key := pbkdf2.Key([]byte(password), []byte("seasalt"), 1000, sha256.Size, sha256.New)
	return fmt.Sprintf("pbkdf2_sha256$1000$seasalt$%s", base64.StdEncoding.EncodeToString(key))
}

// A sidecar comes from an export, and an export may hold two accounts
// whose login IDs a lookup would take for one: a case-sensitive legacy
// system's "alice@" and "ALICE@", or a look-alike registered next to the
// real address ("\u212aate@" with the Kelvin sign, which Unicode lowercases
// to "kate@"). Lookup must never hand one account's hash to a login as
// another: user A's legacy password would then unlock the login of B, and
// a handler that captures under the typed login ID would set it as B's
// Authgear password. An ambiguous login ID finds nothing, in any order;
// a look-alike is found only as itself.
func TestAttackSidecarLookAlikeAndDuplicateLoginIDs(t *testing.T) {
	victim := Entry{LoginIDKey: "email", LoginID: "alice@example.com", Format: FormatPBKDF2Django, Hash: djangoHash("victim-pw"), Verified: true}
	caseTwin := Entry{LoginIDKey: "email", LoginID: "ALICE@example.com", Format: FormatPBKDF2Django, Hash: djangoHash("attacker-pw"), Verified: true}
	kelvin := Entry{LoginIDKey: "email", LoginID: "\u212aate@example.com", Format: FormatPBKDF2Django, Hash: djangoHash("attacker-pw"), Verified: true}
	other := Entry{LoginIDKey: "email", LoginID: "Bob@Example.com", Format: FormatPBKDF2Django, Hash: djangoHash("bob-pw"), Verified: true}

	for _, order := range [][]Entry{{victim, caseTwin, kelvin, other}, {other, kelvin, caseTwin, victim}} {
		s := NewSidecar(order)
		// The attacker types the victim's address and the attacker's own
		// password: no entry may say yes.
		for _, typed := range []string{"alice@example.com", "Alice@example.com", "ALICE@example.com", "kate@example.com", "Kate@example.com"} {
			if e, ok := s.Lookup("email", typed); ok {
				yes, _ := e.Verify([]byte("attacker-pw"))
				t.Errorf("Lookup(%q) found the entry of %q (attacker's password accepted: %v); want none", typed, e.LoginID, yes)
			}
		}
		// The look-alike is found as itself (capture then refuses it by
		// the identity rules), and unrelated entries still match without
		// regard to ASCII case.
		if e, ok := s.Lookup("email", "\u212aate@example.com"); !ok || e.LoginID != kelvin.LoginID {
			t.Errorf("the look-alike is not found as itself: %v %q", ok, e.LoginID)
		}
		if e, ok := s.Lookup("email", "bob@example.com"); !ok || e.LoginID != other.LoginID {
			t.Errorf("bob@example.com not found: %v %q", ok, e.LoginID)
		}
		if got, want := s.Len(), 2; got != want {
			t.Errorf("Len() = %d, want %d (the ambiguous login ID is not indexed)", got, want)
		}
	}

	// The same login ID twice (a legacy system allowing duplicate emails)
	// is ambiguous too, even when the two hashes are the same.
	s := NewSidecar([]Entry{victim, victim})
	if _, ok := s.Lookup("email", "alice@example.com"); ok {
		t.Error("a login ID listed twice is found")
	}
}
