package verifier

import (
	"encoding/json"
	"errors"
	"strconv"
)

// scanLegacyClaims reads a legacy token's claims in one pass: the
// registered claims into reg, and every claim into a map holding what
// encoding/json (with UseNumber) would decode, which LegacyIdentity.Claims
// and the login ID claim are read from. Member names match exactly and
// each appears once in every object, at any depth (two parsers must never
// read two users from one token); numbers keep their literal text as
// json.Number. Strings and numbers are views of raw, which the map keeps
// alive and nothing writes to.
//
// It takes the place of the claim scanner and encoding/json one after the
// other, which read every legacy token twice.
func scanLegacyClaims(raw []byte, reg *registered) (map[string]any, error) {
	s := scanner{b: raw}
	claims := make(map[string]any, 16)
	for first := true; ; first = false {
		k, done, err := s.member(first)
		if err != nil {
			return nil, err
		}
		if done {
			return claims, s.end()
		}
		if _, dup := claims[k]; dup {
			return nil, errors.New("duplicate claim " + strconv.Quote(k))
		}
		if isRegistered(k) {
			// Read it typed, then again as a value for the map.
			at := s.i
			if _, err := reg.field(&s, k); err != nil {
				return nil, err
			}
			s.i = at
		}
		v, err := s.value(1)
		if err != nil {
			return nil, err
		}
		claims[k] = v
	}
}

func isRegistered(k string) bool {
	switch k {
	case "iss", "sub", "aud", "exp", "nbf", "iat", "jti":
		return true
	}
	return false
}

// value reads any JSON value as encoding/json decodes it into an any with
// UseNumber, refusing an object that names a member twice.
func (s *scanner) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errSyntax
	}
	switch s.peek() {
	case '"':
		return s.str()
	case '{':
		m := map[string]any{}
		for first := true; ; first = false {
			k, done, err := s.member(first)
			if err != nil {
				return nil, err
			}
			if done {
				return m, nil
			}
			if _, dup := m[k]; dup {
				return nil, errors.New("duplicate member " + strconv.Quote(k))
			}
			if m[k], err = s.value(depth + 1); err != nil {
				return nil, err
			}
		}
	case '[':
		s.i++
		l := []any{}
		if s.peek() == ']' {
			s.i++
			return l, nil
		}
		for {
			v, err := s.value(depth + 1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return l, nil
			default:
				return nil, errSyntax
			}
		}
	case 't', 'f':
		return s.boolean()
	case 'n':
		if s.null() {
			return nil, nil
		}
		return nil, errSyntax
	}
	// A number: checked as the claim scanner checks it (a value no
	// float64 holds is refused), kept as its text.
	start := s.i
	if _, err := s.num(); err != nil {
		return nil, err
	}
	return json.Number(unsafeString(s.b[start:s.i])), nil
}
