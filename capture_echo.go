package agmigrate

import (
	"bytes"
	"unicode/utf8"
)

// echoesPassword reports whether msg, an error message from Authgear or a
// gateway, holds the password: as typed, or escaped the way a GraphQL or
// JSON string writes it (graphql-go echoes a bad variable inside quotes,
// so a password with a quote, a backslash or a control character is in
// the message escaped, and JSON encoders may also write non-ASCII or
// <, >, & as \u escapes). The escaped copies are cleared after use.
func echoesPassword(msg, password []byte) bool {
	if len(password) == 0 {
		return false
	}
	if bytes.Contains(msg, password) {
		return true
	}
	for i := range 8 {
		esc := escapeString(password, escapeMode{ascii: i&1 != 0, html: i&2 != 0, longBF: i&4 != 0})
		found := bytes.Contains(msg, esc)
		clear(esc)
		if found {
			return true
		}
	}
	return false
}

// escapeMode says which characters beyond quotes, backslashes and
// controls a JSON encoder escapes.
type escapeMode struct {
	ascii bool // every non-ASCII character as \uXXXX (surrogate pairs beyond the BMP)
	html  bool // <, > and & as \u003c, \u003e, \u0026 (Go's encoding/json)
	// longBF writes backspace and form feed as \u0008 and \u000c (older
	// encoders) instead of \b and \f (graphql-js, Go 1.22's encoding/json).
	longBF bool
}

// escapeString escapes p as the inside of a JSON string.
func escapeString(p []byte, m escapeMode) []byte {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 2*len(p))
	u := func(r rune) {
		out = append(out, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
	}
	for i := 0; i < len(p); {
		r, n := utf8.DecodeRune(p[i:])
		switch {
		case r == '"' || r == '\\':
			out = append(out, '\\', byte(r))
		case r == '\n':
			out = append(out, '\\', 'n')
		case r == '\r':
			out = append(out, '\\', 'r')
		case r == '\t':
			out = append(out, '\\', 't')
		case r == '\b' && !m.longBF:
			out = append(out, '\\', 'b')
		case r == '\f' && !m.longBF:
			out = append(out, '\\', 'f')
		case r < 0x20, m.html && (r == '<' || r == '>' || r == '&'), r == 0x2028, r == 0x2029:
			u(r)
		case m.ascii && r >= 0x80 && !(r == utf8.RuneError && n == 1):
			if r > 0xffff {
				r -= 0x10000
				u(0xd800 + r>>10)
				u(0xdc00 + r&0x3ff)
			} else {
				u(r)
			}
		default:
			out = append(out, p[i:i+n]...)
		}
		i += n
	}
	return out
}
