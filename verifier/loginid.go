package verifier

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// LoginID says where a legacy token carries the user's Authgear login ID
// and how to prepare it for getUserByLoginID. Only verified claims are ever
// read.
//
// By default the value must be one Authgear keeps as it is, up to ASCII
// case: a value that Authgear's normalisation would rewrite (NFKC, Unicode
// case folding, trimming, Punycode for an internationalised domain), or
// that holds a control or format character, is refused with ErrLoginID,
// because Authgear's lookup would then find the user stored under the
// rewritten value, who may be someone else in the legacy system. ASCII
// case is left to the exchange, which compares the login ID Authgear holds
// with the verified one.
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

	// VerifiedClaim names the claim that says the login ID was verified
	// (the JSON boolean true, or the string "true" as Cognito sends it).
	// Default "email_verified", or "phone_number_verified" for the phone
	// key. An email login ID needs it true unless UnsafeAllowUnverified is
	// set; a phone login ID is refused when the claim is present and not
	// true (not every provider sends it for phone numbers). A flag named
	// "<c>_verified" vouches for claim <c> only: when the login ID is read
	// from another claim and the token also has <c> with a different value
	// (a username chosen to be someone else's address, next to the user's
	// own verified email), the token is refused with ErrEmailVerified.
	VerifiedClaim string
	// RequireEmailVerified makes VerifiedClaim mandatory for the phone and
	// username keys too. For the email key it is the default anyway.
	RequireEmailVerified bool
	// UnsafeAllowUnverified accepts a login ID that its provider does not
	// mark as verified. Anyone who can sign up in the legacy system with
	// another person's address then gets that person's Authgear account.
	UnsafeAllowUnverified bool

	// UnsafeAllowUnicodeFolding accepts login IDs that Authgear's
	// normalisation rewrites beyond ASCII case (fullwidth and other NFKC
	// compatibility forms, full case folding such as "ß" to "ss",
	// surrounding white space, internationalised email domains) and hands
	// the exchange Authgear's normal form instead of the value as given.
	// Set it only when the legacy system itself treats such variants as one
	// account (it stores and compares login IDs in that normal form);
	// otherwise a user whose legacy login ID folds onto another user's
	// gets that user's Authgear account. Control and format characters and
	// look-alike (NFKC-changed) email domains are refused even then: for
	// Authgear the latter are other accounts.
	UnsafeAllowUnicodeFolding bool
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
		if l.Key == "phone" {
			l.VerifiedClaim = "phone_number_verified"
		}
	}
	switch l.Key {
	case "email", "phone", "username":
	default:
		return l, configError("LoginID.Key %q is not email, phone or username", l.Key)
	}
	if l.RequireEmailVerified && l.UnsafeAllowUnverified {
		return l, configError("LoginID: RequireEmailVerified and UnsafeAllowUnverified contradict each other")
	}
	return l, nil
}

// extract finds and normalises the login ID in verified claims.
func (l LoginID) extract(claims map[string]any) (string, error) {
	if ambiguousClaim(claims, l.Claim) {
		return "", invalid(ErrMalformed, "claim %q is both a claim name and a path", l.Claim)
	}
	v, ok := claimAt(claims, l.Claim)
	s, isStr := v.(string)
	if !ok || !isStr {
		return "", invalid(ErrLoginID, "claim %q missing or not a string", l.Claim)
	}
	if err := l.checkVerified(claims, s); err != nil {
		return "", err
	}
	return l.normalize(s)
}

// checkVerified applies the verified-claim rule of the key to the login
// ID value v.
func (l LoginID) checkVerified(claims map[string]any, v string) error {
	if l.UnsafeAllowUnverified {
		return nil
	}
	if ambiguousClaim(claims, l.VerifiedClaim) {
		return invalid(ErrMalformed, "claim %q is both a claim name and a path", l.VerifiedClaim)
	}
	ver, present := claimAt(claims, l.VerifiedClaim)
	isTrue := ver == true || ver == "true"
	switch {
	case l.Key == "email" || l.RequireEmailVerified:
		if !isTrue {
			return invalid(ErrEmailVerified, "claim %q is not true", l.VerifiedClaim)
		}
	case l.Key == "phone" && present && !isTrue:
		return invalid(ErrEmailVerified, "claim %q is not true", l.VerifiedClaim)
	}
	if !isTrue || l.Key == "username" {
		return nil // the flag vouches for no login ID here
	}
	// "email_verified" vouches for "email", not for the login ID claim
	// when that is another one ("preferred_username", "sub"): a user who
	// picked someone else's address as a username, next to their own
	// verified email, would pass on their own flag.
	if about, ok := strings.CutSuffix(l.VerifiedClaim, "_verified"); ok && about != l.Claim {
		if other, present := claimAt(claims, about); present && !sameValue(l.Key, other, v) {
			return invalid(ErrEmailVerified, "claim %q is verified, and differs from the login ID claim %q", about, l.Claim)
		}
	}
	return nil
}

// sameValue reports whether a claim holds the login ID v: the same string,
// or for phones the same number however it is spaced.
func sameValue(key string, claim any, v string) bool {
	s, ok := claim.(string)
	if !ok {
		return false
	}
	if key == "phone" {
		a, err1 := normalizePhone(strings.TrimSpace(s))
		b, err2 := normalizePhone(strings.TrimSpace(v))
		return err1 == nil && err2 == nil && a == b
	}
	return s == v
}

// ambiguousClaim reports whether name finds a value both as a whole claim
// name and as a dotted path: the legacy app and the verifier could then
// read two different users from one token.
func ambiguousClaim(claims map[string]any, name string) bool {
	if _, whole := claims[name]; !whole || !strings.Contains(name, ".") {
		return false
	}
	_, viaPath := pathAt(claims, name)
	return viaPath
}

// claimAt looks a claim up by its whole name, then as a dotted path.
func claimAt(claims map[string]any, name string) (any, bool) {
	if v, ok := claims[name]; ok {
		return v, true
	}
	return pathAt(claims, name)
}

// pathAt looks a claim up as a dotted path.
func pathAt(claims map[string]any, name string) (any, bool) {
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
// what Authgear would refuse or fold onto another value, with the default
// (strict) rules of LoginID: emails and usernames are returned as given,
// and must be values Authgear keeps unchanged up to ASCII case (no
// surrounding white space, no control or format characters, NFKC-stable,
// no case folding beyond ASCII, usernames within PRECIS IdentifierClass,
// email domains in plain ASCII). Phone numbers become E.164 ("+" and 7 to
// 15 digits; spaces, hyphens, dots and parentheses dropped); a national
// number without its country code is refused, since the lookup cannot
// guess the country. Errors wrap ErrLoginID and never contain the value.
func NormalizeLoginID(key, v string) (string, error) {
	return LoginID{Key: key}.normalize(v)
}

// Normalize is NormalizeLoginID under l's rules (l.Key, and
// UnsafeAllowUnicodeFolding).
func (l LoginID) Normalize(v string) (string, error) {
	if l.Key == "" {
		l.Key = "email"
	}
	return l.normalize(v)
}

func (l LoginID) normalize(v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", invalid(ErrLoginID, "not valid UTF-8")
	}
	if controlOrFormat(v) {
		return "", invalid(ErrLoginID, "control or format character")
	}
	if l.Key == "phone" {
		return normalizePhone(strings.TrimSpace(v))
	}
	if t := strings.TrimSpace(v); t != v {
		// Authgear trims when it stores a login ID, but not when it looks
		// one up; trimming here would fold the value onto the trimmed one.
		if !l.UnsafeAllowUnicodeFolding {
			return "", invalid(ErrLoginID, "surrounding white space")
		}
		v = t
	}
	if v == "" {
		return "", invalid(ErrLoginID, "empty")
	}
	switch l.Key {
	case "email":
		return l.normalizeEmail(v)
	case "username":
		n, err := authgearUsername(v)
		if err != nil {
			return "", invalid(ErrLoginID, "username outside PRECIS IdentifierClass")
		}
		if l.UnsafeAllowUnicodeFolding {
			return n, nil
		}
		if norm.NFKC.String(v) != v || n != asciiLower(v) {
			return "", invalid(ErrLoginID, "username that Authgear would store in another form")
		}
		return v, nil
	}
	return "", invalid(ErrLoginID, "unknown login ID key %q", l.Key)
}

func (l LoginID) normalizeEmail(v string) (string, error) {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v {
		return "", invalid(ErrLoginID, "not an email address")
	}
	domain := v[strings.LastIndexByte(v, '@')+1:]
	if norm.NFKC.String(domain) != domain {
		// Authgear does not apply NFKC to the domain: a look-alike domain
		// is another account to it, and often the same one to a legacy
		// system that does.
		return "", invalid(ErrLoginID, "email domain with compatibility characters")
	}
	n, err := authgearEmail(v)
	if err != nil {
		return "", invalid(ErrLoginID, "email that Authgear would refuse")
	}
	if l.UnsafeAllowUnicodeFolding {
		return n, nil
	}
	if internationalDomain(domain) {
		return "", invalid(ErrLoginID, "internationalised email domain (Authgear matches its Unicode and Punycode spellings as one)")
	}
	if norm.NFKC.String(v) != v || n != asciiLower(v) {
		return "", invalid(ErrLoginID, "email that Authgear would store in another form")
	}
	return v, nil
}

// normalizePhone brings a phone number to E.164.
func normalizePhone(v string) (string, error) {
	if v == "" {
		return "", invalid(ErrLoginID, "empty")
	}
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
}
