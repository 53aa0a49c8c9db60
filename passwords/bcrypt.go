package passwords

import (
	"errors"
	"regexp"

	"golang.org/x/crypto/bcrypt"
)

// bcryptString is the modular crypt form: variant, two-digit cost, then 53
// characters of bcrypt's base64 (22 of salt, 31 of hash).
var bcryptString = regexp.MustCompile(`^\$2[aby]\$([0-9]{2})\$[./A-Za-z0-9]{53}$`)

type bcryptHash struct{ hash []byte }

func parseBcrypt(s string) (Verifier, error) {
	m := bcryptString.FindStringSubmatch(s)
	if m == nil {
		return nil, malformed(FormatBcrypt, "not $2x$NN$ followed by 53 characters of bcrypt's base64")
	}
	cost := int(m[1][0]-'0')*10 + int(m[1][1]-'0')
	if cost < bcrypt.MinCost {
		return nil, malformed(FormatBcrypt, "cost %d below bcrypt's minimum %d", cost, bcrypt.MinCost)
	}
	if cost > MaxBcryptCost {
		return nil, tooCostly(FormatBcrypt, "cost %d above %d", cost, MaxBcryptCost)
	}
	return bcryptHash{hash: []byte(s)}, nil
}

func (h bcryptHash) Format() Format { return FormatBcrypt }

// Verify uses bcrypt's own comparison, which is constant time. Like every
// bcrypt, it reads only the first 72 bytes of the password.
func (h bcryptHash) Verify(password []byte) (bool, error) {
	if err := checkPassword(password); err != nil {
		return false, err
	}
	err := bcrypt.CompareHashAndPassword(h.hash, password)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	}
	return false, malformed(FormatBcrypt, "bcrypt refused the hash")
}
