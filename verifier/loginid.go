package verifier

import (
	"net/mail"
	"strings"
)

// LoginID says where a legacy token carries the user's Authgear login ID
// and how to prepare it for getUserByLoginID. Only verified claims are ever
// read.
type LoginID struct {
	// Key is the Authgear login ID key: "email" (default), "phone" or
	// "username".
	Key string
	// Claim names the claim holding the login ID. A dotted path
	// ("user.email") descends into objects; a claim whose whole name
	// matches (such as a namespaced "https://example.com/email") wins over
	// a path. Default: "email", "phone_number" or "preferred_username" for
	// the key.
	Claim string
	// RequireEmailVerified refuses tokens whose VerifiedClaim is not true
	// (the JSON boolean, or the string "true" as Cognito sends it).
	RequireEmailVerified bool
	// VerifiedClaim defaults to "email_verified".
	VerifiedClaim string
}

func (l LoginID) withDefaults() (LoginID, error) {
	if l.Key == "" {
		l.Key = "email"
	}
	if l.Claim == "" {
		switch l.Key {
		case "email":
			l.Claim = "email"
		case "phone":
			l.Claim = "phone_number"
		case "username":
			l.Claim = "preferred_username"
		}
	}
	if l.VerifiedClaim == "" {
		l.VerifiedClaim = "email_verified"
	}
	switch l.Key {
	case "email", "phone", "username":
	default:
		return l, configError("LoginID.Key %q is not email, phone or username", l.Key)
	}
	return l, nil
}

// extract finds and normalises the login ID in verified claims.
func (l LoginID) extract(claims map[string]any) (string, error) {
	v, ok := claimAt(claims, l.Claim)
	s, isStr := v.(string)
	if !ok || !isStr {
		return "", invalid(ErrLoginID, "claim %q missing or not a string", l.Claim)
	}
	if l.RequireEmailVerified {
		ver, _ := claimAt(claims, l.VerifiedClaim)
		if ver != true && ver != "true" {
			return "", invalid(ErrEmailVerified, "claim %q is not true", l.VerifiedClaim)
		}
	}
	return NormalizeLoginID(l.Key, s)
}

// claimAt looks a claim up by its whole name, then as a dotted path.
func claimAt(claims map[string]any, name string) (any, bool) {
	if v, ok := claims[name]; ok {
		return v, true
	}
	var cur any = claims
	for _, part := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// NormalizeLoginID prepares a login ID for getUserByLoginID and refuses
// what Authgear would refuse. Authgear's lookup does not trim, so this
// does; it folds case itself, so this does not. Phone numbers become E.164
// ("+" and 7 to 15 digits; spaces, hyphens, dots and parentheses dropped);
// a national number without its country code is refused, since the lookup
// cannot guess the country.
func NormalizeLoginID(key, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", invalid(ErrLoginID, "empty")
	}
	switch key {
	case "email":
		a, err := mail.ParseAddress(v)
		if err != nil || a.Name != "" || a.Address != v {
			return "", invalid(ErrLoginID, "not an email address")
		}
		return v, nil
	case "phone":
		if strings.HasPrefix(v, "00") {
			v = "+" + v[2:]
		}
		if !strings.HasPrefix(v, "+") {
			return "", invalid(ErrLoginID, "phone number without a country code (E.164 needs a leading +)")
		}
		digits := make([]byte, 0, 16)
		for i := 1; i < len(v); i++ {
			switch c := v[i]; {
			case c >= '0' && c <= '9':
				digits = append(digits, c)
			case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
			default:
				return "", invalid(ErrLoginID, "phone number with a character other than digits and separators")
			}
		}
		if len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
			return "", invalid(ErrLoginID, "phone number of %d digits is not E.164", len(digits))
		}
		return "+" + string(digits), nil
	case "username":
		if strings.ContainsAny(v, " \t\r\n") {
			return "", invalid(ErrLoginID, "username with white space")
		}
		return v, nil
	}
	return "", invalid(ErrLoginID, "unknown login ID key %q", key)
}
