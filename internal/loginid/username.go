package loginid

import (
	"fmt"
	"regexp"

	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// identifierFold is PRECIS IdentifierClass with full case folding, the
// profile Authgear applies to usernames.
var identifierFold = precis.NewIdentifier(precis.FoldCase())

// asciiUsername is the creation-time rule of types.username.ascii_only.
var asciiUsername = regexp.MustCompile(`^[a-zA-Z0-9_\-.]*$`)

func normalizeUsername(v string, o Options) (string, error) {
	v = norm.NFKC.String(v)
	if o.UsernameCaseSensitive {
		return v, nil
	}
	out, err := identifierFold.String(v)
	if err != nil {
		return "", fmt.Errorf("%w: username: %v", ErrInvalid, err)
	}
	return out, nil
}

func checkUsernameFormat(v string, o Options) error {
	if !o.UsernameAllowNonASCII && !asciiUsername.MatchString(v) {
		return fmt.Errorf("%w: username is not ASCII-only", ErrInvalid)
	}
	// Authgear runs the identifier profile at creation even when usernames
	// are case-sensitive.
	folded, err := identifierFold.String(v)
	if err != nil {
		return fmt.Errorf("%w: username: %v", ErrInvalid, err)
	}
	if !o.UsernameAllowReserved && reservedUsernames[folded] {
		return fmt.Errorf("%w: username is reserved", ErrInvalid)
	}
	return nil
}
