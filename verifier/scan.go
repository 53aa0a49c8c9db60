package verifier

import (
	"encoding/binary"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A small, strict JSON scanner for the claims of Authgear access tokens,
// which every first-seen token pays for: encoding/json spends more time on
// reflection than the claims take to read. It accepts exactly RFC 8259
// JSON (differentially fuzzed against encoding/json), refuses a claim it
// knows given twice (JSON parsers disagree on which copy wins, and a
// verifier must not be the one that guesses), and limits nesting.

var errSyntax = errors.New("invalid JSON")

const maxDepth = 32

type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	i := s.i
	// Compact JSON has no white space: one comparison settles most calls.
	for i < len(s.b) && s.b[i] <= ' ' && (s.b[i] == ' ' || s.b[i] == '\t' || s.b[i] == '\n' || s.b[i] == '\r') {
		i++
	}
	s.i = i
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return errSyntax
	}
	s.i++
	return nil
}

// str reads a string. Without escapes it returns a view of the input (the
// input is never modified), so most claims cost no allocation.
func (s *scanner) str() (string, error) {
	if s.peek() != '"' {
		return "", errSyntax
	}
	b := s.b
	start := s.i + 1
	i := start
	// Claim values are mostly long ASCII (URLs, ids): skip eight plain
	// bytes at a time, and look at a word byte by byte only when it holds
	// a quote, a backslash or a control character.
	var high uint64
	for i+8 <= len(b) {
		x := binary.LittleEndian.Uint64(b[i:])
		if special(x) {
			break
		}
		high |= x & highs
		i += 8
	}
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			v := b[start:i]
			if high != 0 && !utf8.Valid(v) {
				return "", errSyntax
			}
			s.i = i + 1
			return unsafeString(v), nil
		case c == '\\':
			s.i = i
			return s.escaped(start)
		case c < 0x20:
			return "", errSyntax
		case c >= 0x80:
			high = 1
		}
	}
	return "", errSyntax
}

const ones, highs = 0x0101010101010101, 0x8080808080808080

// special reports whether the eight bytes in x hold a quote, a backslash
// or a control character. Each test is the classic one for a zero byte,
// (v - 0x01…) &^ v & 0x80…, which is exact for the word as a whole: a
// borrow starts only at a byte that matches.
func special(x uint64) bool {
	q := x ^ '"'*ones
	bs := x ^ '\\'*ones
	return ((q-ones)&^q|(bs-ones)&^bs|(x-0x20*ones)&^x)&highs != 0
}

// escaped finishes a string that contains escapes, copying it.
func (s *scanner) escaped(start int) (string, error) {
	out := append([]byte(nil), s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			if !utf8.Valid(out) {
				return "", errSyntax
			}
			return string(out), nil
		case c < 0x20:
			return "", errSyntax
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return "", errSyntax
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return "", errSyntax
			}
			if utf16.IsSurrogate(r) {
				// A lone surrogate becomes U+FFFD, as encoding/json does.
				r2 := rune(-1)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					save := s.i
					s.i += 2
					if x, ok := s.hex4(); ok {
						r2 = x
					} else {
						return "", errSyntax
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						out = utf8.AppendRune(out, d)
						continue
					}
					s.i = save
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", errSyntax
		}
	}
	return "", errSyntax
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	s.i += 4
	return r, true
}

// num reads a number in JSON's grammar (strconv alone would also take
// hex, underscores, "Inf").
func (s *scanner) num() (float64, error) {
	s.ws()
	b, start := s.b, s.i
	i := start
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	// The integer part, its value kept while it is exact: NumericDates are
	// plain integers, and need no general parser.
	var n int64
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
			n = n*10 + int64(b[i]-'0') // may overflow; used only for 15 digits or fewer
		}
	default:
		return 0, errSyntax
	}
	plain := !neg && i-start <= 15
	if i < len(b) && b[i] == '.' {
		plain = false
		if i++; digitsAt(b, &i) == 0 {
			return 0, errSyntax
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		plain = false
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digitsAt(b, &i) == 0 {
			return 0, errSyntax
		}
	}
	s.i = i
	if plain {
		return float64(n), nil // up to 15 digits: exact in a float64
	}
	f, err := strconv.ParseFloat(unsafeString(b[start:i]), 64)
	if err != nil {
		return 0, errSyntax
	}
	return f, nil
}

// digitsAt skips decimal digits from b[*i] and returns how many.
func digitsAt(b []byte, i *int) int {
	j := *i
	for j < len(b) && '0' <= b[j] && b[j] <= '9' {
		j++
	}
	n := j - *i
	*i = j
	return n
}

func (s *scanner) lit(word string) bool {
	if len(s.b)-s.i >= len(word) && string(s.b[s.i:s.i+len(word)]) == word {
		s.i += len(word)
		return true
	}
	return false
}

func (s *scanner) boolean() (bool, error) {
	s.ws()
	switch {
	case s.lit("true"):
		return true, nil
	case s.lit("false"):
		return false, nil
	}
	return false, errSyntax
}

func (s *scanner) null() bool {
	s.ws()
	return s.lit("null")
}

// skip reads and checks any value.
func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return errSyntax
	}
	switch s.peek() {
	case '"':
		_, err := s.str()
		return err
	case '{':
		s.i++
		if s.peek() == '}' {
			s.i++
			return nil
		}
		for {
			if _, err := s.str(); err != nil {
				return err
			}
			if err := s.expect(':'); err != nil {
				return err
			}
			if err := s.skip(depth + 1); err != nil {
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
			if err := s.skip(depth + 1); err != nil {
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
	case 't', 'f':
		_, err := s.boolean()
		return err
	case 'n':
		if s.null() {
			return nil
		}
		return errSyntax
	default:
		_, err := s.num()
		return err
	}
}

// strings reads an array of strings, or null.
func (s *scanner) strings() ([]string, error) {
	if s.null() {
		return nil, nil
	}
	if err := s.expect('['); err != nil {
		return nil, err
	}
	out := []string{}
	if s.peek() == ']' {
		s.i++
		return out, nil
	}
	for {
		v, err := s.str()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out, nil
		default:
			return nil, errSyntax
		}
	}
}

func (s *scanner) date(d *numericDate) error {
	if s.null() {
		*d = numericDate{}
		return nil
	}
	f, err := s.num()
	if err != nil {
		return err
	}
	return d.set(f)
}
