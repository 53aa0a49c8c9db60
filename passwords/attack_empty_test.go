package passwords

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Some legacy systems store a hash of the empty string for accounts that
// have no password (a social sign-up, an invited user who never set one).
// A login form built on this package must not let anyone in to such an
// account with an empty password: an empty password is never verified,
// whatever the hash says.
func TestAttackEmptyPasswordNeverVerifies(t *testing.T) {
	salt := []byte("somesaltsomesalt")
	b64 := base64.RawStdEncoding.EncodeToString
	bc, err := bcrypt.GenerateFromPassword(nil, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(salt)
	saltedSHA, err := SaltedSHA(SaltedSHAParams{Algorithm: "sha256", Position: "prefix", SaltEncoding: "utf8"}, hex.EncodeToString(sum[:]), string(salt))
	if err != nil {
		t.Fatal(err)
	}
	verifiers := map[string]Verifier{"salted sha": saltedSHA}
	for name, h := range map[string]string{
		"bcrypt":   string(bc),
		"argon2id": fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=1$%s$%s", b64(salt), b64(argon2.IDKey(nil, salt, 1, 64, 1, 32))),
		"django":   djangoHash(""),
	} {
		v, err := Parse(h)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		verifiers[name] = v
	}
	for name, v := range verifiers {
		for _, pw := range [][]byte{nil, {}} {
			if ok, err := v.Verify(pw); ok || !errors.Is(err, ErrPasswordEmpty) {
				t.Errorf("%s: Verify(empty) = %v, %v; want false, ErrPasswordEmpty", name, ok, err)
			}
		}
	}
}
