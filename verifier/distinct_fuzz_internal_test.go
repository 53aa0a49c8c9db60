package verifier

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzDistinctNested checks the nested duplicate-member check against
// encoding/json's tokenizer on arbitrary bytes: it never panics or moves
// the scanner, and on valid JSON (within its depth limit) it refuses
// exactly the values with an object naming a member twice.
func FuzzDistinctNested(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":{"b":1,"b":2}}`, `[{"a":1},{"a":1}]`, `{"a":{"\u0062":1,"b":2}}`,
		`[[[]]]`, `{"a":`, `"x"`, `{}`, `{"a":[{"b":{"c":1,"c":1}}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &scanner{b: b}
		err := distinctNested(s)
		if s.i != 0 {
			t.Fatalf("scanner moved to %d", s.i)
		}
		// The oracle is JSON that Go decodes: a number past float64's
		// range ("1e700") is valid JSON that no claim decoder takes, and
		// the scanner refuses it too.
		if !json.Valid(b) || !utf8.Valid(b) || json.Unmarshal(b, new(any)) != nil {
			return
		}
		dup, depth := duplicates(b)
		switch {
		case dup && err == nil:
			t.Fatalf("%q accepted with a member named twice", b)
		case !dup && err != nil && depth < maxDepth:
			t.Fatalf("%q refused: %v", b, err)
		}
	})
}

// duplicates reports whether an object in valid JSON b names a member
// twice, and how deep b nests.
func duplicates(b []byte) (dup bool, depth int) {
	type frame struct {
		object, wantKey bool
		keys            map[string]bool
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return dup, depth
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			if k, ok := tok.(string); ok {
				dup = dup || top.keys[k]
				top.keys[k], top.wantKey = true, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if top != nil && top.object {
				top.wantKey = true
			}
			stack = append(stack, &frame{object: tok == json.Delim('{'), wantKey: true, keys: map[string]bool{}})
			depth = max(depth, len(stack))
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if top != nil && top.object {
				top.wantKey = true
			}
		}
	}
}
