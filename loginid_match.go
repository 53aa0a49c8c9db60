package agmigrate

import (
	"errors"
	"strings"

	"github.com/agmigrate/agmigrate/adminapi"
)

// ErrLoginIDMismatch: Authgear answered the lookup with a user whose login
// ID is not the verified one under Config.LoginIDMatch. Authgear folds
// login IDs before matching them (NFKC and Unicode case folding), so a
// look-alike such as "ｒec1@rec.test" finds "rec1@rec.test". No session is
// created; the request is served as the legacy user, as for a user
// missing from Authgear.
var ErrLoginIDMismatch = errors.New("agmigrate: the Authgear user's login ID differs from the verified one")

// LoginIDMatch is the equality between the login ID a legacy token was
// verified for and the one Authgear holds for the user its lookup found
// (standardAttributes email, phone_number or preferred_username: what
// Authgear stored after its own normalisation). A session is only created
// when they are equal, so a legacy identity only ever becomes its own
// Authgear account.
//
// The zero value is the default, right for a legacy system that treats
// ASCII letters in addresses and usernames without case and everything
// else as written:
//   - email: the local parts are equal after ASCII lower-casing (any other
//     character must be the same code points); the domains are equal
//     after ASCII lower-casing;
//   - username: equal after ASCII lower-casing;
//   - phone: the same E.164 string.
//
// Unicode case folding and compatibility mapping are never applied: they
// are what makes distinct legacy accounts collide in Authgear.
type LoginIDMatch struct {
	// EmailCaseSensitive compares email local parts byte for byte. Choose it
	// when the legacy system has distinct accounts for "Ann@x.com" and
	// "ann@x.com", and set identity.login_id.types.email.case_sensitive:
	// true in authgear.yaml before importing, or Authgear folds both onto
	// one account. Default false.
	EmailCaseSensitive bool
	// UsernameCaseSensitive compares usernames byte for byte. The same
	// applies, with identity.login_id.types.username.case_sensitive: true.
	// Default false.
	UsernameCaseSensitive bool
	// Equal, when set, replaces the comparison above. It is given the login
	// ID key, the verified login ID and the one Authgear holds, and must
	// say whether they are the same person's. For teams whose legacy
	// system already stored identifiers in Authgear's normal form.
	Equal func(key, verified, held string) bool
}

// Match reports whether held, the login ID Authgear holds, names the same
// account as verified under key ("email", "phone" or "username").
func (p LoginIDMatch) Match(key, verified, held string) bool {
	if p.Equal != nil {
		return p.Equal(key, verified, held)
	}
	if verified == "" || held == "" {
		return false
	}
	switch key {
	case "email":
		vl, vd, ok1 := splitEmail(verified)
		hl, hd, ok2 := splitEmail(held)
		if !ok1 || !ok2 || !asciiFoldEqual(vd, hd) {
			return false
		}
		if p.EmailCaseSensitive {
			return vl == hl
		}
		return asciiFoldEqual(vl, hl)
	case "username":
		if p.UsernameCaseSensitive {
			return verified == held
		}
		return asciiFoldEqual(verified, held)
	case "phone":
		return verified == held
	}
	return false
}

// splitEmail splits at the last @, as Authgear does.
func splitEmail(s string) (local, domain string, ok bool) {
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", "", false
	}
	return s[:at], s[at+1:], true
}

// asciiFoldEqual compares byte for byte, A-Z equal to a-z and nothing else
// folded. (strings.EqualFold would take the Kelvin sign for k.)
func asciiFoldEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// heldLoginID is the login ID Authgear holds for key, from the user's
// standard attributes (recorded cases 030 and 099-103: the normalised
// value is there).
func heldLoginID(u *adminapi.User, key string) string {
	var attr string
	switch key {
	case "email":
		attr = "email"
	case "phone":
		attr = "phone_number"
	case "username":
		attr = "preferred_username"
	default:
		return ""
	}
	s, _ := u.StandardAttributes[attr].(string)
	return s
}
