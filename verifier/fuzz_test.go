package verifier_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// FuzzAuthgearVerify feeds arbitrary strings to a verifier on the fake:
// never a panic, and every failure is a refusal or "cannot check now".
func FuzzAuthgearVerify(f *testing.F) {
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	f.Cleanup(fake.Close)
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	good := session(f, fake, alice, "test-client")
	v, err := verifier.NewAuthgear(bg(f), verifier.AuthgearConfig{Endpoint: fake.URL, RefetchCooldown: 1 << 62})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(v.Close)
	for _, s := range []string{good, good[:len(good)-2], "", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.e30.AA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(bg(t), tok)
		if err == nil {
			if tok != good || c.Subject != alice {
				t.Fatalf("accepted %q", tok)
			}
			return
		}
		if !errors.Is(err, verifier.ErrInvalidToken) && !errors.Is(err, verifier.ErrUnavailable) {
			t.Fatalf("error of no known kind: %v", err)
		}
	})
}

// FuzzLegacyVerify: arbitrary tokens at a legacy HS256 verifier never
// panic, and only a correctly signed token with a usable login ID passes.
func FuzzLegacyVerify(f *testing.F) {
	secret := []byte("0123456789abcdef0123456789abcdef-fuzz")
	v, err := verifier.NewJWT(bg(f), verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		f.Fatal(err)
	}
	good := hmacToken(map[string]any{"alg": "HS256"}, map[string]any{"iss": "https://legacy.example.com", "aud": "web",
		"email": "alice@example.com", "email_verified": true, "exp": 1 << 40, "user": map[string]any{"email": "x"}}, secret)
	for _, s := range []string{good, "", "a.b.c", good + "x", "eyJhbGciOiJIUzI1NiJ9.bnVsbA.AA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := v.VerifyLegacy(bg(t), tok)
		if err == nil && (tok != good || id.LoginID != "alice@example.com") {
			t.Fatalf("accepted %q", tok)
		}
		if err != nil && !errors.Is(err, verifier.ErrInvalidToken) {
			t.Fatalf("error of no known kind: %v", err)
		}
	})
}

// FuzzNormalizeLoginID: normalising is idempotent and never panics.
func FuzzNormalizeLoginID(f *testing.F) {
	for _, s := range []string{"alice@example.com", " +852 9123-4567 ", "0044 20 7946 0958", "alice", "a@b", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, key := range []string{"email", "phone", "username"} {
			n, err := verifier.NormalizeLoginID(key, s)
			if err != nil {
				continue
			}
			if again, err := verifier.NormalizeLoginID(key, n); err != nil || again != n {
				t.Fatalf("%s %q → %q → %q, %v: not idempotent", key, s, n, again, err)
			}
		}
	})
}

// FuzzStaticJWKS builds a legacy verifier on an arbitrary static JWK set
// and verifies tokens that name its keys: a set is refused with ErrConfig
// or works, never a panic.
func FuzzStaticJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"k","x":"AAAA","y":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"k","n":"AQAB","e":"AQ"}]}`))
	toks := []string{
		"eyJhbGciOiJFZERTQSIsImtpZCI6ImsifQ.e30." + strings.Repeat("A", 86),
		"eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.e30." + strings.Repeat("A", 86),
		"eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.e30." + strings.Repeat("A", 342),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := verifier.NewJWT(bg(t), verifier.JWTConfig{JWKS: data, Algorithms: []string{"RS256", "ES256", "EdDSA"},
			Issuer: "i", Audience: []string{"a"}, CacheSize: -1})
		if err != nil {
			if !errors.Is(err, verifier.ErrConfig) {
				t.Fatalf("static JWKS refused without ErrConfig: %v", err)
			}
			return
		}
		for _, tok := range toks {
			if _, err := v.VerifyLegacy(bg(t), tok); err == nil || !errors.Is(err, verifier.ErrInvalidToken) {
				t.Fatalf("made-up token: %v", err)
			}
		}
	})
}
