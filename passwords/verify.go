package passwords

import "strings"

// Format names a hash format, as reported by a Verifier and written in
// sidecar files.
type Format string

// The formats this package verifies.
const (
	FormatBcrypt         Format = "bcrypt"
	FormatArgon2id       Format = "argon2id"
	FormatArgon2i        Format = "argon2i"
	FormatPBKDF2Django   Format = "pbkdf2-django"
	FormatPBKDF2PHC      Format = "pbkdf2-phc"
	FormatPBKDF2Passlib  Format = "pbkdf2-passlib"
	FormatPhpass         Format = "phpass"
	FormatFirebaseScrypt Format = "firebase-scrypt"
	FormatSaltedSHA      Format = "salted-sha"
	FormatKeycloak       Format = "keycloak"
)

// Verifier checks typed passwords against one stored hash. Verify answers
// false with a nil error for a wrong password; an error means the check
// could not be made (for example ErrPasswordTooLong, or ErrPasswordEmpty:
// an empty password is never verified).
type Verifier interface {
	Verify(password []byte) (bool, error)
	Format() Format
}

// Parse reads a self-describing hash string (see the package doc) and
// returns its Verifier, after checking its parameters against the bounds.
// Parsing does no expensive work.
func Parse(hash string) (Verifier, error) {
	if len(hash) > MaxHashStringLen {
		return nil, malformed("", "longer than %d bytes", MaxHashStringLen)
	}
	switch {
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		return parseBcrypt(hash)
	case strings.HasPrefix(hash, "bcrypt$$2"):
		// Django: "bcrypt" and "$", then the bcrypt string.
		return parseBcrypt(hash[len("bcrypt$"):])
	case strings.HasPrefix(hash, "$argon2"):
		return parseArgon2(hash)
	case strings.HasPrefix(hash, "argon2$argon2"):
		// Django writes its algorithm name before the PHC string's "$".
		return parseArgon2(hash[len("argon2"):])
	case strings.HasPrefix(hash, "pbkdf2_"):
		return parseDjangoPBKDF2(hash)
	case strings.HasPrefix(hash, "$pbkdf2"):
		return parsePHCPBKDF2(hash)
	case strings.HasPrefix(hash, "$P$"), strings.HasPrefix(hash, "$H$"):
		return parsePhpass(hash)
	case strings.HasPrefix(hash, "$2"):
		return nil, unsupported(FormatBcrypt, "only the $2a$, $2b$ and $2y$ variants are read")
	}
	return nil, unsupported("", "the hash string is not in a format this package reads")
}

// Verify checks password against a self-describing hash string: it is
// Parse followed by the Verifier's Verify.
func Verify(hash string, password []byte) (bool, error) {
	v, err := Parse(hash)
	if err != nil {
		return false, err
	}
	return v.Verify(password)
}

// checkPassword refuses passwords that would make a check expensive, and
// the empty password, which no login should accept.
func checkPassword(password []byte) error {
	if len(password) == 0 {
		return ErrPasswordEmpty
	}
	if len(password) > MaxPasswordLen {
		return ErrPasswordTooLong
	}
	return nil
}
