package verifier

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// The string reader skips eight plain bytes at a time; a quote, a
// backslash, a control character or a non-ASCII byte at any place of a
// word, or in the bytes after the last whole word, must be seen exactly
// as encoding/json sees it (except that invalid UTF-8 is refused, where
// encoding/json substitutes U+FFFD).
func TestScannerStringWords(t *testing.T) {
	specials := []string{`"`, `\"`, `\\`, `\n`, `\u0041`, "\x00", "\x01", "\x1f", "\t", "\x7f", " ", "é", "\xff", "\xc3", "\xe2\x82", "€", "\U0001F600"}
	for n := 0; n <= 20; n++ {
		for at := 0; at <= n; at++ {
			for _, sp := range specials {
				body := strings.Repeat("a", at) + sp + strings.Repeat("b", n-at)
				doc := `{"sub":"` + body + `"}`
				var want struct {
					Sub string `json:"sub"`
				}
				werr := json.Unmarshal([]byte(doc), &want)
				if !utf8.ValidString(doc) {
					werr = errSyntax // refused, where encoding/json substitutes U+FFFD
				}
				var got authgearPayload
				err := scanAuthgearClaims([]byte(doc), &got)
				if (err == nil) != (werr == nil) {
					t.Fatalf("%q: scanner %v, encoding/json %v", doc, err, werr)
				}
				if err == nil && got.Subject != want.Sub {
					t.Fatalf("%q: scanner %q, encoding/json %q", doc, got.Subject, want.Sub)
				}
			}
		}
	}
}

func TestSpecialWord(t *testing.T) {
	for _, tc := range []struct {
		w    string
		want bool
	}{
		{"abcdefgh", false}, {"~~~~~~~~", false}, {"\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f", false},
		{"\xff\xff\xff\xff\xff\xff\xff\xff", false}, {"\x80\xa0\xc2\xe2\x80\x21\x20\xff", false},
		{"abc\"efgh", true}, {"abcdefg\\", true}, {"\x00bcdefgh", true}, {"abcdefg\x1f", true},
		{"\xff\x1f\xff\xff\xff\xff\xff\xff", true}, {"\xa2\xdc\xa2\xdc\xa2\xdc\xa2\xdc", false},
	} {
		x := uint64(0)
		for i := 7; i >= 0; i-- {
			x = x<<8 | uint64(tc.w[i])
		}
		if got := special(x); got != tc.want {
			t.Errorf("special(%q) = %v, want %v", tc.w, got, tc.want)
		}
	}
}
