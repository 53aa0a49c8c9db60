package verifier

import (
	"slices"
	"strings"
	"testing"
)

// splitScopeInto splits where strings.Fields does, on the shortcut for
// plain ASCII and off it.
func TestSplitScopeLikeFields(t *testing.T) {
	for _, s := range []string{"", " ", "openid", "openid offline_access https://authgear.com/scopes/full-access",
		"  a  b ", "a\tb", "a\nb c", "a\u00a0b", "a\u2003b c", "é f", "a\x7fb", "a b c d e f g"} {
		var buf [4]string
		got := splitScopeInto(buf[:0], s)
		want := strings.Fields(s)
		if len(want) == 0 {
			want = nil
		}
		if !slices.Equal(got, want) || (got == nil) != (want == nil) {
			t.Errorf("%q: %q, strings.Fields %q", s, got, want)
		}
		if len(got) > 0 && cap(got) != len(got) {
			t.Errorf("%q: capacity %d past length %d", s, cap(got), len(got))
		}
	}
}

func FuzzSplitScope(f *testing.F) {
	f.Add("openid offline_access")
	f.Add("a\tb\u00a0c")
	f.Fuzz(func(t *testing.T, s string) {
		got := splitScopeInto(nil, s)
		if want := strings.Fields(s); !slices.Equal(got, want) {
			t.Fatalf("%q: %q, strings.Fields %q", s, got, want)
		}
	})
}
