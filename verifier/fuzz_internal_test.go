package verifier

import (
	"testing"
	"unicode"
)

// FuzzLoginIDNoFold checks the promise of NormalizeLoginID on arbitrary
// Unicode: a value it accepts is one Authgear keeps as it is, up to ASCII
// case, so the lookup can only find the account stored under that very
// value; and it holds no control or format character.
func FuzzLoginIDNoFold(f *testing.F) {
	for _, s := range []string{"alice@example.com", "ｒec1@rec.test", "straße@x.y", "Älice@rec.test", "ǅemal", "al\x00ice", "a@b\u200b", "e\u0301@x.y", "alice"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := NormalizeLoginID("email", s); err == nil {
			if n != s {
				t.Fatalf("email %q returned as %q", s, n)
			}
			if a, err := authgearEmail(n); err != nil || a != asciiLower(n) {
				t.Fatalf("email %q accepted, but Authgear stores it as %q (%v)", n, a, err)
			}
			assertVisible(t, n)
		}
		if n, err := NormalizeLoginID("username", s); err == nil {
			if a, err := authgearUsername(n); err != nil || a != asciiLower(n) {
				t.Fatalf("username %q accepted, but Authgear stores it as %q (%v)", n, a, err)
			}
			assertVisible(t, n)
		}
	})
}

func assertVisible(t *testing.T, s string) {
	for _, r := range s {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) && r != ' ' {
			t.Fatalf("accepted %q with %U", s, r)
		}
	}
}
