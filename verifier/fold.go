package verifier

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// Authgear does not look a login ID up as given: it normalises it first
// (authgear-server pkg/lib/authn/identity/loginid/normalizer.go, default
// options) and matches on the result. A value that normalises to another
// user's login ID finds that user. The functions here compute what
// Authgear computes, so the verifier can refuse such values before they
// reach the lookup.

var (
	// freeformFold is what Authgear applies to an email's domain, and to
	// its local part after NFKC: full case folding, NFC, FreeformClass.
	freeformFold = precis.NewFreeform(precis.FoldCase())
	// identifierFold is what Authgear applies to a username after NFKC.
	identifierFold = precis.NewIdentifier(precis.FoldCase())
)

var errNoAt = errors.New("no @")

// authgearEmail is Authgear's normal form of an email login ID: split at
// the last "@", NFKC then fold the local part, fold the domain (no NFKC).
func authgearEmail(v string) (string, error) {
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		return "", errNoAt
	}
	local, err := freeformFold.String(norm.NFKC.String(v[:at]))
	if err != nil {
		return "", err
	}
	domain, err := freeformFold.String(v[at+1:])
	if err != nil {
		return "", err
	}
	return local + "@" + domain, nil
}

// authgearUsername is Authgear's normal form of a username login ID.
func authgearUsername(v string) (string, error) {
	return identifierFold.String(norm.NFKC.String(v))
}

// controlOrFormat reports whether s holds a control (Cc: NUL, DEL, NEL…)
// or format (Cf: zero-width characters, bidi controls, soft hyphen)
// character. They are invisible, so two values that differ only by them
// look the same to a person and to most legacy systems' UIs.
func controlOrFormat(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}

// asciiLower lower-cases A-Z only: the case difference the exchange's
// equality policy deals with, and the only one the verifier lets through.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// internationalDomain reports whether an email domain is spelt with
// non-ASCII characters or has an ACE ("xn--") label. Authgear keys a
// domain by its Punycode form, so "bücher.example" and
// "xn--bcher-kva.example" are one account to it, and two strings to a
// legacy system.
func internationalDomain(domain string) bool {
	for i := 0; i < len(domain); i++ {
		if domain[i] >= utf8.RuneSelf {
			return true
		}
	}
	for _, label := range strings.Split(domain, ".") {
		if len(label) >= 4 && strings.EqualFold(label[:4], "xn--") {
			return true
		}
	}
	return false
}
