package verifier_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// A cached legacy token is refused once iat + MaxAge has passed, even
// though its exp is far away.
func TestLegacyCacheHonoursMaxAge(t *testing.T) {
	t.Parallel()
	c := newClock()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	cfg := verifier.HS256(secret, "https://legacy.example.com", "web")
	cfg.MaxAge, cfg.Leeway, cfg.Now = time.Hour, time.Second, c.Now
	v, err := verifier.NewJWT(bg(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := c.Now().Unix()
	tok := hmacToken(map[string]any{"alg": "HS256"}, map[string]any{"iss": "https://legacy.example.com", "aud": "web",
		"email": "alice@example.com", "email_verified": true, "iat": now, "exp": now + 7*24*3600}, secret)
	if _, err := v.VerifyLegacy(bg(t), tok); err != nil {
		t.Fatal(err)
	}
	c.Advance(59 * time.Minute)
	if _, err := v.VerifyLegacy(bg(t), tok); err != nil {
		t.Fatalf("within MaxAge: %v", err)
	}
	c.Advance(2 * time.Minute)
	if _, err := v.VerifyLegacy(bg(t), tok); !errors.Is(err, verifier.ErrIssuedAt) {
		t.Fatalf("cached token past iat+MaxAge: %v, want ErrIssuedAt", err)
	}
}

// A key withdrawn from Authgear's JWKS stops verifying as soon as the
// refreshed set is in, cached verifications included.
func TestAuthgearWithdrawnKeyDropsCachedTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	v := e.verifier(t, verifier.AuthgearConfig{RefetchCooldown: time.Minute}) // cache on
	old := session(t, e.fake, e.alice, "test-client")
	if _, err := v.Verify(bg(t), old); err != nil {
		t.Fatal(err)
	}
	e.fake.RotateSigningKey(false)
	e.clock.Advance(2 * time.Minute)
	if _, err := v.Verify(bg(t), session(t, e.fake, e.alice, "test-client")); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	if _, err := v.Verify(bg(t), old); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Fatalf("cached token of the withdrawn key: %v, want ErrUnknownKey", err)
	}
}

// swappableJWKS serves a JWK set that the test can replace.
type swappableJWKS struct {
	srv  *httptest.Server
	body atomic.Value
}

func newSwappableJWKS(t *testing.T, keys ...any) *swappableJWKS {
	s := &swappableJWKS{}
	s.set(keys...)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.body.Load().([]byte))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *swappableJWKS) set(keys ...any) {
	b, _ := json.Marshal(map[string]any{"keys": keys})
	s.body.Store(b)
}

var otherLegacyKey = sync.OnceValue(func() jwk.Key {
	k, err := jwk.FromRaw(mustRSA())
	if err != nil {
		panic(err)
	}
	_ = k.Set(jwk.KeyIDKey, "legacy-2")
	_ = k.Set(jwk.AlgorithmKey, jwa.RS256)
	return k
})

func publicOf(k jwk.Key) jwk.Key { p, _ := k.PublicKey(); return p }

// The same for a legacy verifier on a JWKS URL.
func TestLegacyWithdrawnKeyDropsCachedTokens(t *testing.T) {
	t.Parallel()
	c := newClock()
	keys := newSwappableJWKS(t, publicOf(legacyKey()))
	v, err := verifier.NewJWT(bg(t), verifier.JWTConfig{JWKSURL: keys.srv.URL, Issuer: "https://legacy.example.com",
		Audience: []string{"web"}, Now: c.Now, RefetchCooldown: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	now := c.Now().Unix()
	claims := map[string]any{"iss": "https://legacy.example.com", "aud": "web", "email": "alice@example.com",
		"email_verified": true, "iat": now, "exp": now + 3600}
	old := legacyToken(t, nil, claims)
	if _, err := v.VerifyLegacy(bg(t), old); err != nil {
		t.Fatal(err)
	}
	keys.set(publicOf(otherLegacyKey()))
	c.Advance(2 * time.Minute)
	fresh := forge(t, otherLegacyKey(), jwa.RS256, map[string]any{"kid": "legacy-2"}, claims)
	if _, err := v.VerifyLegacy(bg(t), fresh); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	if _, err := v.VerifyLegacy(bg(t), old); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Fatalf("cached token of the withdrawn key: %v, want ErrUnknownKey", err)
	}
}

// A malformed Ed25519 key (x of the wrong length) in a JWK set never makes
// the verifier panic. A static set with it is a configuration error; a
// fetched set drops it and the other keys keep working.
func TestMalformedKeyInJWKS(t *testing.T) {
	t.Parallel()
	goodPub := publicOf(legacyKey())
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	bad := map[string]any{"kty": "OKP", "crv": "Ed25519", "kid": "ed-bad", "alg": "EdDSA",
		"x": base64.RawURLEncoding.EncodeToString(edPub[:31])}
	algs := []string{"RS256", "EdDSA"}
	now := time.Now().Unix()
	claims := map[string]any{"iss": "i", "aud": "a", "email": "alice@example.com", "email_verified": true, "exp": now + 600}
	edKey, _ := jwk.FromRaw(edPriv)
	edTok := forge(t, edKey, jwa.EdDSA, map[string]any{"kid": "ed-bad"}, claims)
	rsTok := legacyToken(t, nil, claims)

	static, _ := json.Marshal(map[string]any{"keys": []any{goodPub, bad}})
	sv, err := verifier.NewJWT(bg(t), verifier.JWTConfig{JWKS: static, Algorithms: algs, Issuer: "i", Audience: []string{"a"}})
	if err == nil {
		// Today's code: the set loads, and a token naming the bad key panics.
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("static JWKS: Verify panicked: %v", r)
				}
			}()
			_, _ = sv.VerifyLegacy(bg(t), edTok)
		}()
		t.Errorf("static JWKS with a malformed key: loaded, want ErrConfig")
	} else if !errors.Is(err, verifier.ErrConfig) || !strings.Contains(err.Error(), "ed-bad") {
		t.Errorf("static JWKS with a malformed key: %v, want ErrConfig naming the key", err)
	}

	keys := newSwappableJWKS(t, goodPub, bad)
	rv, err := verifier.NewJWT(bg(t), verifier.JWTConfig{JWKSURL: keys.srv.URL, Algorithms: algs, Issuer: "i", Audience: []string{"a"}})
	if err != nil {
		t.Fatalf("fetched set with one bad key: %v", err)
	}
	defer rv.Close()
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("fetched JWKS: Verify panicked: %v", r)
			}
		}()
		if _, err := rv.VerifyLegacy(bg(t), edTok); !errors.Is(err, verifier.ErrUnknownKey) {
			t.Errorf("token naming the malformed key: %v, want ErrUnknownKey", err)
		}
	}()
	if _, err := rv.VerifyLegacy(bg(t), rsTok); err != nil {
		t.Errorf("token of the good key next to a malformed one: %v", err)
	}
}
