package verifier

import (
	"errors"
	"strconv"
	"strings"
)

// claimSet is a struct of claims the scanner fills: field reads the value
// of claim k and returns the claim's bit (0 for a claim it skips), so a
// claim it knows given twice is refused. Names match exactly: "AUD" is not
// "aud" (encoding/json would say it is).
type claimSet interface {
	field(s *scanner, k string) (uint32, error)
}

// scanClaims fills c from raw, a JSON object of claims.
func scanClaims(raw []byte, c claimSet) error {
	s := scanner{b: raw}
	var seen uint32
	for first := true; ; first = false {
		k, done, err := s.member(first)
		if err != nil {
			return err
		}
		if done {
			return s.end()
		}
		bit, err := c.field(&s, k)
		if err != nil {
			return err
		}
		if err := once(&seen, bit, k); err != nil {
			return err
		}
	}
}

// scanAuthgearClaims fills p from raw, a JSON object of claims. It is
// scanClaims with the claim set's type known: every first-seen access
// token comes through here, and a call through the claimSet interface
// would move p and the scanner to the heap.
func scanAuthgearClaims(raw []byte, p *authgearPayload) error {
	s := scanner{b: raw}
	var seen uint32
	for first := true; ; first = false {
		k, done, err := s.member(first)
		if err != nil {
			return err
		}
		if done {
			return s.end()
		}
		bit, err := p.field(&s, k)
		if err != nil {
			return err
		}
		if err := once(&seen, bit, k); err != nil {
			return err
		}
	}
}

// member reads the name of an object's next member and the colon after
// it; done is true at the object's end. first is true for the call that
// starts the object.
func (s *scanner) member(first bool) (k string, done bool, err error) {
	if first {
		if err := s.expect('{'); err != nil {
			return "", false, err
		}
		if s.peek() == '}' {
			s.i++
			return "", true, nil
		}
	} else {
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return "", true, nil
		default:
			return "", false, errSyntax
		}
	}
	if k, err = s.str(); err != nil {
		return "", false, err
	}
	return k, false, s.expect(':')
}

// end checks that nothing but white space follows the value.
func (s *scanner) end() error {
	if s.ws(); s.i != len(s.b) {
		return errSyntax
	}
	return nil
}

// once records a claim's bit in seen, refusing a claim read before.
func once(seen *uint32, bit uint32, k string) error {
	if *seen&bit != 0 {
		return errors.New("duplicate claim " + strconv.Quote(k))
	}
	*seen |= bit
	return nil
}

// field reads the registered claims; every other claim is skipped.
func (r *registered) field(s *scanner, k string) (uint32, error) {
	var err error
	switch k {
	case "iss":
		r.Issuer, err = s.optStr()
		return 1 << 0, err
	case "sub":
		r.Subject, err = s.optStr()
		return 1 << 1, err
	case "aud":
		return 1 << 2, s.aud(&r.Audience)
	case "exp":
		return 1 << 3, s.date(&r.Expiry)
	case "nbf":
		return 1 << 4, s.date(&r.NotBefore)
	case "iat":
		return 1 << 5, s.date(&r.IssuedAt)
	case "jti":
		r.TokenID, err = s.optStr()
		return 1 << 6, err
	}
	return 0, s.skip(1)
}

// field reads the claims of an Authgear access token (or userinfo
// answer); unknown claims are skipped.
func (p *authgearPayload) field(s *scanner, k string) (uint32, error) {
	if len(k) == 3 {
		// Every registered claim name has three letters: one switch, not two.
		return p.registered.field(s, k)
	}
	var err error
	if rest, ok := strings.CutPrefix(k, claimPrefix); ok {
		switch rest {
		case "is_anonymous":
			p.IsAnonymous, err = s.optBool()
			return 1 << 10, err
		case "is_verified":
			p.IsVerified, err = s.optBool()
			return 1 << 11, err
		case "can_reauthenticate":
			p.CanReauthenticate, err = s.optBool()
			return 1 << 12, err
		case "roles":
			p.Roles, err = s.strings()
			return 1 << 13, err
		}
		return 0, s.skip(1)
	}
	switch k {
	case "client_id":
		p.ClientID, err = s.optStr()
		return 1 << 7, err
	case "scope":
		p.Scope, err = s.optStr()
		return 1 << 8, err
	case "auth_time":
		return 1 << 9, s.date(&p.AuthTime)
	}
	return 0, s.skip(1)
}

// optStr reads a string or null (encoding/json leaves the field as it is
// for null; so does this).
func (s *scanner) optStr() (string, error) {
	if s.null() {
		return "", nil
	}
	return s.str()
}

func (s *scanner) optBool() (bool, error) {
	if s.null() {
		return false, nil
	}
	return s.boolean()
}

func (s *scanner) aud(a *audience) error {
	switch s.peek() {
	case '"':
		v, err := s.str()
		*a = audience{v}
		return err
	case 'n':
		s.null()
		*a = nil
		return nil
	}
	l, err := s.strings()
	*a = l
	return err
}

// distinct wraps a claim set and refuses any member named twice, not only
// the claims the set reads: a legacy token's login ID claim given twice
// means two parsers can read two different users from one token.
type distinct struct {
	claimSet
	seen map[string]struct{}
}

func (d *distinct) field(s *scanner, k string) (uint32, error) {
	if _, dup := d.seen[k]; dup {
		return 0, errors.New("duplicate claim " + strconv.Quote(k))
	}
	d.seen[k] = struct{}{}
	if c := s.peek(); c == '{' || c == '[' {
		// Nested objects too: a dotted login ID claim ("user.email") is
		// read from one.
		if err := distinctNested(s); err != nil {
			return 0, err
		}
	}
	return d.claimSet.field(s, k)
}

// scanDistinctClaims is scanClaims refusing every duplicated member name.
func scanDistinctClaims(raw []byte, c claimSet) error {
	return scanClaims(raw, &distinct{claimSet: c, seen: make(map[string]struct{}, 16)})
}
