package verifier

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzLegacyClaims holds the one-pass reader of legacy claims to the two
// readers it replaced, the claim scanner refusing duplicates and then
// encoding/json with UseNumber: it accepts exactly what they both accept,
// and reads the same registered claims and the same map.
func FuzzLegacyClaims(f *testing.F) {
	for _, s := range []string{
		`{"iss":"https://legacy.example.com","aud":"web","sub":"7","email":"a@b.c","email_verified":true,"exp":1795858044,"iat":1795857118.5}`,
		`{"user":{"email":"kate@example.com","email_verified":true},"x":[{"a":1},{"a":2}],"n":null,"f":false}`,
		`{"user":{"email":"a","email":"b"}}`, `{"user":{"email":"a","\u0065mail":"b"}}`, `{"x":[{"a":1,"a":2}]}`,
		`{"aud":["a","b"],"jti":"\ud83d\ude00","big":1e400,"neg":-0,"frac":0.10}`, `{"exp":"1"}`, `{"iss":1}`,
		`{}`, ` { "sub" : "x" } `, `{"sub":"a","sub":"a"}`, `[1]`, `null`, `{"a":01}`, `{"a":"\x01"}`, `{"a":"\xff"}`,
		`{"a":1}x`, `{"a":[1,2,]}`, `{"a":{"b":{"c":[[[[]]]]}}}`, `{"AUD":"x","aud":"y"}`, `{"a":"\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var got registered
		claims, err := scanLegacyClaims(raw, &got)

		var want registered
		var wantClaims map[string]any
		werr := scanDistinctClaims(raw, &want)
		if werr == nil {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if werr = dec.Decode(&wantClaims); werr == nil && wantClaims == nil {
				werr = errSyntax
			}
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: one pass %v, two passes %v", raw, err, werr)
		}
		if err != nil {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: registered %+v, want %+v", raw, got, want)
		}
		if !reflect.DeepEqual(claims, wantClaims) {
			t.Fatalf("%q: claims %#v, want %#v", raw, claims, wantClaims)
		}
	})
}
