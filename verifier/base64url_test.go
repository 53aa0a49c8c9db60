package verifier

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzBase64URL holds the JWS segment decoder to encoding/base64: it
// accepts exactly what RawURLEncoding.Strict() accepts, less CR and LF
// (which encoding/base64 skips), and decodes it to the same bytes, into a
// caller's buffer (of any room) or a new slice alike.
func FuzzBase64URL(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AB", "AAA", "AAB", "AAAA", "eyJhbGciOiJSUzI1NiJ9", "e30", "a-_9",
		"ab\ncd", "ab\rcd", "ab==", "a+/b", "YQ", "YR", "YWI", "YWJ", "////", "____", "YWJjZGVmZ2hpams", "\xff\xfe"} {
		f.Add(s)
	}
	strict := base64.RawURLEncoding.Strict()
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := strict.DecodeString(s)
		if strings.ContainsAny(s, "\r\n") {
			werr = base64.CorruptInputError(0)
		}
		var small [5]byte
		var exact []byte
		if werr == nil {
			exact = make([]byte, 0, len(want))
		}
		for _, buf := range [][]byte{nil, small[:0], exact, make([]byte, 0, len(s))} {
			got, err := b64decodeInto(buf, s)
			if (err == nil) != (werr == nil) {
				t.Fatalf("%q: error %v, encoding/base64 %v", s, err, werr)
			}
			if err == nil && !bytes.Equal(got, want) {
				t.Fatalf("%q: %x, encoding/base64 %x", s, got, want)
			}
		}
	})
}

// Each decoded value has one encoding: whatever encoding/base64's strict
// mode refuses, and CR, LF and padding, are refused.
func TestBase64URLOneEncoding(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"YQ", true}, {"YR", false}, // bits past the last byte must be zero
		{"YWI", true}, {"YWJ", false},
		{"YWJj", true}, {"YWJjZ", false}, // one letter alone is no byte
		{"YWJj\n", false}, {"YW\rJj", false}, {"YWJj==", false}, {"YQ==", false},
		{"YW+j", false}, {"YW/j", false}, {"YW\x00j", false}, {"YW\xffj", false},
		{"", true}, {"_-_-", true},
	} {
		if _, err := b64decode(tc.in); (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}
