package verifier

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// FuzzScanClaims checks the claims scanner against encoding/json: whatever
// the scanner accepts must be valid JSON, and every claim it reads must
// equal what encoding/json reads for the same (case-sensitive) name.
func FuzzScanClaims(f *testing.F) {
	for _, s := range []string{
		`{"iss":"https://a.example","aud":["https://a.example"],"sub":"u","exp":1795291704,"iat":1795289904.5,"client_id":"c","scope":"openid x","https://authgear.com/claims/user/roles":["r"],"https://authgear.com/claims/user/is_verified":true}`,
		`{"aud":"x","nbf":null,"jti":"\u00e9\ud83d\ude00\n","other":{"a":[1,2,{"b":null}],"c":-1.5e-3}}`,
		`{}`, ` { "sub" : "\"" } `, `{"iss":"a","iss":"b"}`, `{"exp":"1"}`, `{"exp":1e400}`, `[1]`, `{"a":01}`, `{"x":"\ud800"}`,
		`{"roles":[]}`, `{"https://authgear.com/claims/user/roles":null}`, `{"sub":"a"}x`, "{\"s\":\"\x01\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got authgearPayload
		if err := scanAuthgearClaims(data, &got); err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("scanner accepted invalid JSON %q", data)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("scanner accepted %q, encoding/json: %v", data, err)
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		boolean := func(k string) bool { b, _ := m[k].(bool); return b }
		date := func(k string) numericDate {
			n, ok := m[k].(json.Number)
			if !ok {
				return numericDate{}
			}
			f, _ := n.Float64()
			var d numericDate
			if d.set(f) != nil {
				t.Fatalf("scanner accepted out-of-range %s in %q", k, data)
			}
			return d
		}
		strs := func(k string) []string {
			l, ok := m[k].([]any)
			if !ok {
				return nil
			}
			out := []string{}
			for _, v := range l {
				s, ok := v.(string)
				if !ok {
					t.Fatalf("scanner accepted a non-string in %s: %q", k, data)
				}
				out = append(out, s)
			}
			return out
		}
		want := authgearPayload{
			registered: registered{Issuer: str("iss"), Subject: str("sub"), TokenID: str("jti"),
				Expiry: date("exp"), NotBefore: date("nbf"), IssuedAt: date("iat")},
			ClientID: str("client_id"), Scope: str("scope"), AuthTime: date("auth_time"),
			IsAnonymous: boolean(claimPrefix + "is_anonymous"), IsVerified: boolean(claimPrefix + "is_verified"),
			CanReauthenticate: boolean(claimPrefix + "can_reauthenticate"), Roles: strs(claimPrefix + "roles"),
		}
		switch a := m["aud"].(type) {
		case string:
			want.Audience = audience{a}
		case []any:
			want.Audience = audience(strs("aud"))
		}
		if !reflect.DeepEqual(normal(got), normal(want)) {
			t.Fatalf("claims of %q:\nscanner       %+v\nencoding/json %+v", data, got, want)
		}
	})
}

// normal makes empty and nil slices, and instants, comparable.
func normal(p authgearPayload) authgearPayload {
	if len(p.Roles) == 0 {
		p.Roles = nil
	}
	if len(p.Audience) == 0 {
		p.Audience = nil
	}
	for _, d := range []*numericDate{&p.Expiry, &p.NotBefore, &p.IssuedAt, &p.AuthTime} {
		if d.present && math.Abs(float64(d.t.UnixNano())) > 0 {
			d.t = d.t.UTC()
		}
	}
	return p
}
