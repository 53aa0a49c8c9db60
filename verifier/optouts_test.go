package verifier_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// The explicit opt-ins and opt-outs of the identity-safety checks, and the
// accessors the middleware uses.

func TestUnicodeFoldingOptIn(t *testing.T) {
	t.Parallel()
	fold := func(key string) verifier.LoginID {
		return verifier.LoginID{Key: key, UnsafeAllowUnicodeFolding: true}
	}
	for in, want := range map[[2]string]string{
		{"email", "ｒec1@rec.test"}:       "rec1@rec.test",
		{"email", "Straße@rec.test"}:     "strasse@rec.test",
		{"email", " Alice@Example.com "}: "alice@example.com",
		{"email", "rec1@BÜCHER.example"}: "rec1@bücher.example",
		{"username", "Ａlice"}:            "alice",
		{"username", "Alice"}:            "alice",
		{"phone", "+852 9123 4567"}:      "+85291234567",
	} {
		if got, err := fold(in[0]).Normalize(in[1]); err != nil || got != want {
			t.Errorf("%v with UnsafeAllowUnicodeFolding: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range [][2]string{
		{"email", "rec1@ｒec.test"}, // another account for Authgear
		{"email", "a\x00b@rec.test"},
		{"email", "al\u200bice@rec.test"},
		{"username", "alice\u2603"},
	} {
		if _, err := fold(in[0]).Normalize(in[1]); !errors.Is(err, verifier.ErrLoginID) {
			t.Errorf("%q with UnsafeAllowUnicodeFolding: %v, want ErrLoginID", in, err)
		}
	}
	// Through a verifier: the identity carries Authgear's normal form.
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	cfg := verifier.HS256(secret, "https://legacy.example.com", "web")
	cfg.LoginID.UnsafeAllowUnicodeFolding = true
	v, err := verifier.NewJWT(bg(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok := hmacToken(map[string]any{"alg": "HS256"}, map[string]any{"iss": "https://legacy.example.com", "aud": "web",
		"email": "ｒec1@rec.test", "email_verified": true, "exp": time.Now().Unix() + 60}, secret)
	if id, err := v.VerifyLegacy(bg(t), tok); err != nil || id.LoginID != "rec1@rec.test" {
		t.Errorf("fullwidth email with the opt-in: %+v, %v", id, err)
	}
}

func TestUnsafeAllowUnverified(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	cfg := verifier.HS256(secret, "https://legacy.example.com", "web")
	cfg.LoginID.UnsafeAllowUnverified = true
	v, err := verifier.NewJWT(bg(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tok := hmacToken(map[string]any{"alg": "HS256"}, map[string]any{"iss": "https://legacy.example.com", "aud": "web",
		"email": "alice@example.com", "email_verified": false, "exp": time.Now().Unix() + 60}, secret)
	if _, err := v.VerifyLegacy(bg(t), tok); err != nil {
		t.Errorf("unverified email with UnsafeAllowUnverified: %v", err)
	}
	cfg.LoginID.RequireEmailVerified = true
	if _, err := verifier.NewJWT(bg(t), cfg); !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("RequireEmailVerified with UnsafeAllowUnverified: %v, want ErrConfig", err)
	}
}

func TestAuthgearClientAccessors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "web", OpaqueAccessTokens: true}, {ID: "other"}}})
	ids := []string{"test-client"}
	v := e.verifier(t, verifier.AuthgearConfig{ClientIDs: ids})
	ids[0] = "changed" // the verifier keeps its own copy
	if !v.AcceptsClient("test-client") || v.AcceptsClient("other") || !v.RestrictedTo("test-client") || v.RestrictedTo("other") {
		t.Errorf("allow-list [test-client]: AcceptsClient/RestrictedTo wrong")
	}
	if got := v.ClientIDs(); len(got) != 1 || got[0] != "test-client" {
		t.Errorf("ClientIDs() = %v", got)
	}
	if _, err := v.Verify(bg(t), session(t, e.fake, e.alice, "other")); !errors.Is(err, verifier.ErrClientID) {
		t.Errorf("JWT of another client: %v, want ErrClientID", err)
	}
	any := e.verifier(t, verifier.AuthgearConfig{})
	if !any.AcceptsClient("whatever") || any.RestrictedTo("test-client") || len(any.ClientIDs()) != 0 {
		t.Errorf("no allow-list: AcceptsClient/RestrictedTo/ClientIDs wrong")
	}
	// The explicit opt-out: opaque tokens of any client pass, and the
	// verifier says it is not restricted.
	loose := e.verifier(t, verifier.AuthgearConfig{ClientIDs: []string{"test-client"}, OpaqueTokens: true, UnsafeOpaqueTokensAnyClient: true})
	if loose.RestrictedTo("test-client") {
		t.Error("UnsafeOpaqueTokensAnyClient: RestrictedTo says restricted")
	}
	if c, err := loose.Verify(bg(t), session(t, e.fake, e.alice, "web")); err != nil || !c.Opaque {
		t.Errorf("opaque token with UnsafeOpaqueTokensAnyClient: %+v, %v", c, err)
	}
	if _, err := loose.Verify(bg(t), session(t, e.fake, e.alice, "other")); !errors.Is(err, verifier.ErrClientID) {
		t.Errorf("JWT of another client with UnsafeOpaqueTokensAnyClient: %v, want ErrClientID", err)
	}
}

// InsecureAllowHTTP lets a plain-http endpoint through the check (the
// request is then made, and fails here for want of a network).
func TestInsecureAllowHTTP(t *testing.T) {
	t.Parallel()
	rt := &refusingTransport{}
	hc := &http.Client{Transport: rt}
	_, err := verifier.NewAuthgear(bg(t), verifier.AuthgearConfig{Endpoint: "http://myapp.authgear.example", HTTPClient: hc, InsecureAllowHTTP: true})
	if !errors.Is(err, verifier.ErrUnavailable) {
		t.Errorf("http endpoint with InsecureAllowHTTP: %v, want ErrUnavailable (tried)", err)
	}
	_, err = verifier.NewJWT(bg(t), verifier.JWTConfig{JWKSURL: "http://legacy.example.com/jwks", Issuer: "i", Audience: []string{"a"}, HTTPClient: hc, InsecureAllowHTTP: true})
	if !errors.Is(err, verifier.ErrUnavailable) {
		t.Errorf("http JWKS URL with InsecureAllowHTTP: %v, want ErrUnavailable (tried)", err)
	}
	if _, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: "http://legacy.example.com/i", ClientID: "a", ClientSecret: "b",
		UnsafeSkipAudienceCheck: true, InsecureAllowHTTP: true}); err != nil {
		t.Errorf("http introspection with InsecureAllowHTTP and UnsafeSkipAudienceCheck: %v", err)
	}
	if rt.calls.Load() != 2 {
		t.Errorf("%d requests, want 2", rt.calls.Load())
	}
	_, err = verifier.NewAuthgear(bg(t), verifier.AuthgearConfig{Endpoint: "http://myapp.authgear.example", HTTPClient: hc})
	if !errors.Is(err, verifier.ErrInsecureURL) || !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("http endpoint: %v, want ErrInsecureURL and ErrConfig", err)
	}
}

// A refresh that keeps a key keeps the verifications it made: no token is
// verified again for nothing.
func TestAuthgearRefreshKeepsCacheOfKeptKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	v := e.verifier(t, verifier.AuthgearConfig{RefetchCooldown: time.Minute})
	tok := session(t, e.fake, e.alice, "test-client")
	c1, err := v.Verify(bg(t), tok)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.RotateSigningKey(true)
	if _, err := v.Verify(bg(t), session(t, e.fake, e.alice, "test-client")); err != nil {
		t.Fatal(err)
	}
	if c2, err := v.Verify(bg(t), tok); err != nil || c2 != c1 {
		t.Errorf("token of a kept key after a refresh: %p vs %p, %v (want the cached value)", c2, c1, err)
	}
}
