package loginid

import (
	"fmt"
	"net/mail"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// freeformFold is the profile Authgear uses for both halves of an email:
// full case folding, NFC, then the PRECIS FreeformClass check. It has no
// width mapping, which is why a fullwidth letter in a domain survives.
var freeformFold = precis.NewFreeform(precis.FoldCase())

func normalizeEmail(v string, o Options) (string, error) {
	at := strings.LastIndex(v, "@")
	if at < 0 {
		return "", fmt.Errorf("%w: email has no @", ErrInvalid)
	}
	local, domain := v[:at], v[at+1:]

	domain, err := freeformFold.String(domain)
	if err != nil {
		return "", fmt.Errorf("%w: email domain: %v", ErrInvalid, err)
	}

	// NFKC only on the local part: that is what makes "ｒec1" and "rec1" one
	// account while "ｒec.test" and "rec.test" stay two.
	local = norm.NFKC.String(local)
	if !o.EmailCaseSensitive {
		local, err = freeformFold.String(local)
		if err != nil {
			return "", fmt.Errorf("%w: email local part: %v", ErrInvalid, err)
		}
	}
	if o.IgnoreDotSign {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain, nil
}

func emailUniqueKey(normalized string) (string, error) {
	at := strings.LastIndex(normalized, "@")
	if at < 0 {
		return "", fmt.Errorf("%w: email has no @", ErrInvalid)
	}
	// idna.ToASCII is the bare Punycode profile: no UTS #46 mapping, so
	// U+3002 is not read as a dot and fullwidth letters are not narrowed.
	domain, err := idna.ToASCII(normalized[at+1:])
	if err != nil {
		return "", fmt.Errorf("%w: email domain: %v", ErrInvalid, err)
	}
	return normalized[:at] + "@" + domain, nil
}

// checkEmailFormat is Authgear's FormatEmail: net/mail must read the value
// as a bare address, with no display name and nothing around it.
func checkEmailFormat(v string, o Options) error {
	addr, err := mail.ParseAddress(v)
	if err != nil || addr.Name != "" || addr.Address != v {
		return fmt.Errorf("%w: not an email address", ErrInvalid)
	}
	if o.EmailBlockPlusSign {
		if at := strings.LastIndex(v, "@"); strings.Contains(v[:at], "+") {
			return fmt.Errorf("%w: plus sign in email", ErrInvalid)
		}
	}
	return nil
}
