package loginid

import (
	"errors"
	"fmt"
)

// Keys Authgear gives its login-ID types when authgear.yaml names no key.
const (
	KeyEmail    = "email"
	KeyPhone    = "phone"
	KeyUsername = "username"
)

// ErrInvalid is returned when a value cannot be normalised or fails a
// creation check. Authgear answers such lookups with "invalid Login ID value".
var ErrInvalid = errors.New("loginid: invalid login ID value")

// ErrUnknownKey is returned for a login-ID key this package has no normaliser
// for. Authgear answers such lookups with "invalid Login ID key".
var ErrUnknownKey = errors.New("loginid: invalid login ID key")

// Options mirrors the identity.login_id.types settings of authgear.yaml that
// change normalisation or creation checks. The zero value is Authgear's
// default configuration.
type Options struct {
	// EmailCaseSensitive keeps the case of the email local part
	// (types.email.case_sensitive, default false). The domain is folded anyway.
	EmailCaseSensitive bool
	// IgnoreDotSign removes every "." from the email local part, for every
	// domain (types.email.ignore_dot_sign, default false).
	IgnoreDotSign bool
	// UsernameCaseSensitive keeps the case of usernames
	// (types.username.case_sensitive, default false).
	UsernameCaseSensitive bool
	// UsernameAllowNonASCII lifts the creation-time ASCII-only rule for
	// usernames (types.username.ascii_only is true by default, so this is
	// false by default).
	UsernameAllowNonASCII bool
	// UsernameAllowReserved lifts the creation-time refusal of reserved
	// usernames such as "admin" (types.username.block_reserved_usernames is
	// true by default, so this is false by default). The package knows a
	// subset of Authgear's list.
	UsernameAllowReserved bool
	// EmailBlockPlusSign refuses a "+" in the local part at creation
	// (types.email.block_plus_sign, default false).
	EmailBlockPlusSign bool
}

// Normalize returns the value Authgear stores for a login ID of the given key
// ("email", "phone" or "username"). It does not trim: that is what Authgear's
// lookup does. The error wraps ErrInvalid or ErrUnknownKey and never quotes
// the value.
func Normalize(key, value string, o Options) (string, error) {
	switch key {
	case KeyEmail:
		return normalizeEmail(value, o)
	case KeyUsername:
		return normalizeUsername(value, o)
	case KeyPhone:
		return normalizePhone(value)
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownKey, key)
}

// UniqueKey returns the key Authgear matches login IDs on, from a value
// Normalize returned. Emails get their domain converted to Punycode; the
// other keys use the normalised value itself.
func UniqueKey(key, normalized string) (string, error) {
	switch key {
	case KeyEmail:
		return emailUniqueKey(normalized)
	case KeyUsername, KeyPhone:
		return normalized, nil
	}
	return "", fmt.Errorf("%w: %q", ErrUnknownKey, key)
}

// Lookup is Normalize followed by UniqueKey: the key getUserByLoginID
// compares with the stored unique keys for the value as sent.
func Lookup(key, value string, o Options) (string, error) {
	n, err := Normalize(key, value, o)
	if err != nil {
		return "", err
	}
	return UniqueKey(key, n)
}
