package passwords

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/pbkdf2"
)

// A login form answers the same words for an unknown login ID as for a
// wrong password, but Lookup-then-Verify answers an unknown one at once
// and a known one after a hash check: the time tells which login IDs
// still have a legacy hash. Sidecar.Check spends a hash check either way.
// Measured against the known login ID's own check in the same run (the
// quickest of a few tries each, so a busy machine cannot fake a gap).
func TestAttackSidecarCheckTiming(t *testing.T) {
	key := pbkdf2.Key([]byte("right"), []byte("seasalt"), 100_000, sha256.Size, sha256.New)
	s := NewSidecar([]Entry{{LoginIDKey: "email", LoginID: "known@example.com", Format: FormatPBKDF2Django,
		Hash: fmt.Sprintf("pbkdf2_sha256$100000$seasalt$%s", base64.StdEncoding.EncodeToString(key))}})
	quickest := func(id, pw string) time.Duration {
		best := time.Duration(1 << 62)
		for range 3 {
			start := time.Now()
			_, _, _ = s.Check("email", id, []byte(pw))
			best = min(best, time.Since(start))
		}
		return best
	}
	known := quickest("known@example.com", "wrong")
	unknown := quickest("unknown@example.com", "wrong")
	if unknown < known/4 {
		t.Errorf("an unknown login ID answers in %v, a known one in %v", unknown, known)
	}
	for _, c := range []struct {
		id, pw string
		found  bool
		ok     bool
	}{
		{"known@example.com", "right", true, true},
		{"KNOWN@example.com", "right", true, true},
		{"known@example.com", "wrong", true, false},
		{"unknown@example.com", "right", false, false},
	} {
		e, ok, err := s.Check("email", c.id, []byte(c.pw))
		if err != nil || ok != c.ok || (e.LoginID != "") != c.found {
			t.Errorf("Check(%s, %s) = %q, %v, %v", c.id, c.pw, e.LoginID, ok, err)
		}
	}
	if _, ok, err := NewSidecar(nil).Check("email", "a@example.com", []byte("x")); ok || err != nil {
		t.Errorf("empty sidecar: %v %v", ok, err)
	}
}
