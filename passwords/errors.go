package passwords

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed is matched by errors for a hash string (or a sidecar
	// line, or an export's credential) that cannot be read.
	ErrMalformed = errors.New("passwords: malformed hash")
	// ErrUnsupported is matched by errors for a hash in a format, or with
	// a variant, this package does not verify (argon2d, argon2 version
	// 0x10, an unknown prefix, …).
	ErrUnsupported = errors.New("passwords: unsupported hash format")
	// ErrTooCostly is matched by errors for a hash whose parameters are
	// beyond the Max… bounds: checking it could cost minutes or gigabytes.
	ErrTooCostly = errors.New("passwords: hash parameters beyond the allowed bounds")
	// ErrPasswordTooLong is returned for a typed password longer than
	// MaxPasswordLen bytes.
	ErrPasswordTooLong = errors.New("passwords: password too long")
	// ErrPasswordEmpty is returned for an empty typed password, which is
	// never verified: a legacy system may have stored the hash of "" for
	// an account without a password.
	ErrPasswordEmpty = errors.New("passwords: empty password")
)

// FormatError says what is wrong with a hash, naming its format and the
// problem but never the hash itself. It matches ErrMalformed,
// ErrUnsupported or ErrTooCostly through errors.Is.
type FormatError struct {
	Format Format // the format the hash was read as; "" when not recognised
	Reason string
	Kind   error // ErrMalformed, ErrUnsupported or ErrTooCostly
}

// Error names the kind, the format and the problem.
func (e *FormatError) Error() string {
	if e.Format == "" {
		return fmt.Sprintf("%v: %s", e.Kind, e.Reason)
	}
	return fmt.Sprintf("%v: %s: %s", e.Kind, e.Format, e.Reason)
}

// Unwrap returns the sentinel the error belongs to.
func (e *FormatError) Unwrap() error { return e.Kind }

func malformed(f Format, format string, args ...any) error {
	return &FormatError{Format: f, Reason: fmt.Sprintf(format, args...), Kind: ErrMalformed}
}

func unsupported(f Format, format string, args ...any) error {
	return &FormatError{Format: f, Reason: fmt.Sprintf(format, args...), Kind: ErrUnsupported}
}

func tooCostly(f Format, format string, args ...any) error {
	return &FormatError{Format: f, Reason: fmt.Sprintf(format, args...), Kind: ErrTooCostly}
}
