package verifier

import (
	"errors"
	"strconv"
)

// distinctNested checks that every object inside the value at s (at any
// depth, inside arrays too) names each member once, without moving s. A
// dotted login ID claim ("user.email") is read from such an object, and
// encoding/json keeps the last of two copies where other parsers keep the
// first: two readers of one token, two users.
func distinctNested(s *scanner) error {
	save := s.i
	err := distinctValue(s, 1)
	s.i = save
	return err
}

func distinctValue(s *scanner, depth int) error {
	if depth > maxDepth {
		return errSyntax
	}
	switch s.peek() {
	case '{':
		s.i++
		if s.peek() == '}' {
			s.i++
			return nil
		}
		var seen map[string]struct{}
		for {
			k, err := s.str()
			if err != nil {
				return err
			}
			if _, dup := seen[k]; dup {
				return errors.New("duplicate member " + strconv.Quote(k))
			}
			if seen == nil {
				seen = make(map[string]struct{}, 8)
			}
			seen[k] = struct{}{}
			if err := s.expect(':'); err != nil {
				return err
			}
			if err := distinctValue(s, depth+1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return nil
			default:
				return errSyntax
			}
		}
	case '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			if err := distinctValue(s, depth+1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return nil
			default:
				return errSyntax
			}
		}
	}
	return s.skip(depth)
}
