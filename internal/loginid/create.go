package loginid

import (
	"fmt"
	"strings"
)

// CheckCreate runs the checks Authgear makes only when a login ID is created
// (createUser, signup, import, identity update), on the value as given, and
// returns the value it would store: trimmed, checked, then normalised.
// Lookups skip all of this; use Normalize for them.
func CheckCreate(key, value string, o Options) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", fmt.Errorf("%w: empty login ID", ErrInvalid)
	}
	var err error
	switch key {
	case KeyEmail:
		err = checkEmailFormat(v, o)
	case KeyUsername:
		err = checkUsernameFormat(v, o)
	case KeyPhone:
		// The shape and length checks of normalizePhone are the closest this
		// package gets to libphonenumber's validity check.
	default:
		return "", fmt.Errorf("%w: %q", ErrUnknownKey, key)
	}
	if err != nil {
		return "", err
	}
	return Normalize(key, v, o)
}
