package verifier

import (
	"errors"
	"fmt"
)

// Errors a token can be refused with. Every error Verify returns wraps
// exactly one of them (and ErrInvalidToken), so callers can branch with
// errors.Is, and the middleware answers 401 for all of them.
var (
	// ErrInvalidToken is wrapped by every refusal of a token (as opposed to
	// a failure to check it, such as an unreachable JWKS endpoint).
	ErrInvalidToken = errors.New("verifier: invalid token")

	ErrMalformed     = errors.New("verifier: malformed token")
	ErrTooLarge      = errors.New("verifier: token too large")
	ErrAlgorithm     = errors.New("verifier: algorithm not allowed")
	ErrCritical      = errors.New("verifier: unsupported critical header")
	ErrUnknownKey    = errors.New("verifier: unknown signing key")
	ErrSignature     = errors.New("verifier: bad signature")
	ErrExpired       = errors.New("verifier: token expired")
	ErrNotYetValid   = errors.New("verifier: token not yet valid")
	ErrIssuedAt      = errors.New("verifier: token issued in the future or too long ago")
	ErrIssuer        = errors.New("verifier: wrong issuer")
	ErrAudience      = errors.New("verifier: wrong audience")
	ErrClientID      = errors.New("verifier: client not allowed")
	ErrTokenType     = errors.New("verifier: wrong token type")
	ErrMissingClaim  = errors.New("verifier: required claim missing")
	ErrInactive      = errors.New("verifier: token not active")
	ErrLoginID       = errors.New("verifier: no usable login ID in the token")
	ErrEmailVerified = errors.New("verifier: email not verified")
)

// ErrUnavailable wraps failures to check a token at all (the JWKS,
// discovery, introspection or userinfo endpoint down or answering
// nonsense). It is not ErrInvalidToken: the token may well be good.
var ErrUnavailable = errors.New("verifier: cannot check the token now")

// ErrConfig is wrapped by every error a constructor returns for bad
// configuration.
var ErrConfig = errors.New("verifier: invalid configuration")

// tokenError joins a sentinel with ErrInvalidToken and a detail that never
// contains the token.
type tokenError struct {
	kind   error
	detail string
}

func (e *tokenError) Error() string {
	if e.detail == "" {
		return e.kind.Error()
	}
	return e.kind.Error() + ": " + e.detail
}

func (e *tokenError) Is(target error) bool { return target == ErrInvalidToken || target == e.kind }

func invalid(kind error, format string, args ...any) error {
	return &tokenError{kind: kind, detail: fmt.Sprintf(format, args...)}
}

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}
