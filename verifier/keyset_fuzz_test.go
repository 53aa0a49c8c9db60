package verifier

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// FuzzKeySet feeds arbitrary JWK sets through both loading paths (a static
// set, parsed whole; a fetched set, parsed as the JWKS cache does) and then
// checks a signature with every key that loaded, under every algorithm the
// key is bound to: never a panic, and no made-up signature verifies.
func FuzzKeySet(f *testing.F) {
	for _, s := range keySetSeeds(f) {
		f.Add(s)
	}
	allowed := []string{"RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"}
	prev, _ := jwk.Parse(keySetSeeds(f)[0], fetchParseOptions...)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range [][]jwk.ParseOption{nil, fetchParseOptions} {
			set, err := jwk.Parse(data, opts...)
			if err != nil {
				continue
			}
			if opts != nil {
				// A fetched set replaces an earlier one, as a refresh does.
				r := &remoteKeys{url: "https://fuzz.example/jwks", allowed: allowed, now: time.Now}
				_ = r.install(prev)
				_ = r.install(set)
			}
			keys, _, err := keysFromSet(set, allowed)
			if err != nil {
				continue
			}
			for kid, k := range keys {
				for _, alg := range k.algs {
					c := &compact{hdr: &header{Alg: alg, Kid: kid}, signingInput: "e30.e30", sig: fuzzSig(data, alg, k)}
					if c.verify(k) == nil {
						t.Fatalf("a made-up signature verified with key %q (%s)", kid, alg)
					}
				}
			}
		}
	})
}

// fuzzSig makes a signature of the right length for alg and k from data,
// so the check runs all the way into crypto/*.
func fuzzSig(data []byte, alg string, k *key) []byte {
	n := 64
	switch {
	case k.rsa != nil:
		n = (k.rsa.N.BitLen() + 7) / 8
	case k.ec != nil:
		n = 2 * ((k.ec.Curve.Params().BitSize + 7) / 8)
	}
	out := make([]byte, 0, n+32)
	h := sha256.Sum256(append([]byte(alg), data...))
	for len(out) < n {
		out = append(out, h[:]...)
		h = sha256.Sum256(h[:])
	}
	return out[:n]
}

func keySetSeeds(tb testing.TB) [][]byte {
	b64 := base64.RawURLEncoding.EncodeToString
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	rj, _ := jwk.FromRaw(&rk.PublicKey)
	_ = rj.Set(jwk.KeyIDKey, "r")
	ej, _ := jwk.FromRaw(&ek.PublicKey)
	_ = ej.Set(jwk.KeyIDKey, "e")
	set := func(keys ...any) []byte { b, _ := json.Marshal(map[string]any{"keys": keys}); return b }
	ed := func(kid string, x []byte) map[string]any {
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": b64(x)}
	}
	badPoint := map[string]any{"kty": "EC", "crv": "P-256", "kid": "bad-ec", "x": b64(make([]byte, 32)), "y": b64(append(make([]byte, 31), 7))}
	smallE := map[string]any{"kty": "RSA", "kid": "e1", "n": b64(rk.N.Bytes()), "e": "AQ"}
	evenN := map[string]any{"kty": "RSA", "kid": "even", "n": b64(append(rk.N.Bytes()[:255], 2)), "e": "AQAB"}
	return [][]byte{
		set(rj), set(ej), set(ed("ed", edPub)), set(rj, ed("short", edPub[:31])), set(ed("long", append(edPub, 1))),
		set(rj, badPoint), set(smallE), set(evenN), set(rj, map[string]any{"kty": "RSA", "kid": "broken", "n": "!!"}),
		[]byte(`{"keys":[]}`), []byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`), []byte(`{`), []byte(`[]`),
	}
}
