package verifier

import (
	"encoding/base64"
	"fmt"
	"testing"
	"time"
)

// A payload as the fake (and a real Authgear) issues it.
const benchPayload = `{"aud":["http://127.0.0.1:42431"],"auth_time":1795856964,"client_id":"test-client","exp":1795858764,"https://authgear.com/claims/user/can_reauthenticate":true,"https://authgear.com/claims/user/is_anonymous":false,"https://authgear.com/claims/user/is_verified":false,"https://authgear.com/claims/user/roles":[],"iat":1795856964,"iss":"http://127.0.0.1:42431","jti":"5808455f1311aa5d7d3a09e45526502fb927b4d3c0eefbe3511a4d23ce435f3d","scope":"openid offline_access https://authgear.com/scopes/full-access","sub":"44da50c8-4c55-45cf-8167-8f4d0afad5d8"}`

// BenchmarkClaimsPath measures the parts of a first-seen token's path
// that are not the signature check, each alone:
//
//	go test ./verifier -run '^$' -bench ClaimsPath -benchmem
func BenchmarkClaimsPath(b *testing.B) {
	raw := []byte(benchPayload)
	enc := base64.RawURLEncoding.EncodeToString(raw)
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			var p authgearPayload
			if err := scanAuthgearClaims(raw, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("base64", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(enc)))
		for b.Loop() {
			if _, err := b64decode(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCacheInsert measures a first-seen token's cache work (a miss,
// then the insert) on a full cache of the default size, as every
// first-seen token pays once the cache has filled:
//
//	go test ./verifier -run '^$' -bench CacheInsert -benchmem
func BenchmarkCacheInsert(b *testing.B) {
	now := time.Now()
	toks := make([]string, 2*DefaultCacheSize)
	for i := range toks {
		toks[i] = fmt.Sprintf("%01100d", i)
	}
	c := newTokenCache[*AuthgearClaims](0)
	miss := func(tok string) {
		_, at, ok := c.get(tok, now, nil)
		if ok {
			b.Fatal("a hit")
		}
		c.put(at, tok, nil, nil, now.Add(time.Hour), now)
	}
	for _, t := range toks[:DefaultCacheSize] {
		miss(t)
	}
	b.ReportAllocs()
	i := DefaultCacheSize
	for b.Loop() {
		miss(toks[i%len(toks)])
		i++
	}
}
