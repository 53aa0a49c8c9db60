package agmigrate

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzEchoesPassword: a password is found in a message that holds it
// as encoding/json writes it, with and without HTML escaping.
func FuzzEchoesPassword(f *testing.F) {
	for _, s := range []string{"plain", `q"uote\back`, "tab\tnl\n\b\f\x01", "Pässwörd", "emoji \U0001F600", "<&>", "\u2028"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) == 0 || !utf8.Valid(p) {
			return
		}
		html, _ := json.Marshal(string(p))
		var plain bytes.Buffer
		enc := json.NewEncoder(&plain)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(string(p))
		for _, msg := range [][]byte{html, plain.Bytes()} {
			if !echoesPassword(append([]byte(`got invalid value `), msg...), p) {
				t.Errorf("%q not found in %s", p, msg)
			}
		}
	})
}
