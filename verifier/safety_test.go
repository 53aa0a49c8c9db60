package verifier_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
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

// Tests for the identity-safety findings of issue 9 that live in the
// verifier. Each one failed on the code before the fix.

// Login IDs that Authgear's normalisation folds onto another value (beyond
// ASCII case), and control or format characters, are refused.
func TestLoginIDRefusesFoldedValues(t *testing.T) {
	t.Parallel()
	refused := []struct{ key, v, why string }{
		{"email", "ｒec1@rec.test", "fullwidth letter in the local part (NFKC)"},
		{"email", "rec1@ｒec.test", "fullwidth letter in the domain (NFKC changes it)"},
		{"email", "ﬀ@rec.test", "ligature (NFKC)"},
		{"email", "\u212Aelvin@rec.test", "Kelvin sign (NFKC to K)"},
		{"email", "straße@rec.test", "sharp s (full case folding to ss)"},
		{"email", "İstanbul@rec.test", "dotted capital I (full case folding)"},
		{"email", "Älice@rec.test", "non-ASCII capital (case folding beyond ASCII)"},
		{"email", "e\u0301lise@rec.test", "decomposed accent (NFC composes it)"},
		{"email", "al\u200bice@rec.test", "zero-width space (Cf)"},
		{"email", "alice@rec.test\u202e", "bidi override (Cf)"},
		{"email", "al\u00adice@rec.test", "soft hyphen (Cf)"},
		{"email", "rec1@rec.test\u0085", "next line (Cc)"},
		{"username", "alice\x00", "NUL"},
		{"username", "al\x00ice", "NUL inside"},
		{"username", "ａlice", "fullwidth letter"},
		{"username", "alice\u200d", "zero-width joiner"},
		{"username", "alice\u2603", "symbol outside PRECIS IdentifierClass"},
		{"username", "ǅemal", "titlecase digraph (NFKC to Dž)"},
		{"username", "alice\x7f", "DEL (Cc)"},
		{"username", "\xffalice", "invalid UTF-8"},
		{"phone", "+85291234567\x00", "NUL in a phone number"},
		{"email", " alice@rec.test", "leading space (Authgear stores login IDs trimmed, and its lookup does not trim)"},
		{"email", "alice@rec.test\t", "trailing tab"},
		{"username", "alice ", "trailing space"},
		{"email", "alice@rec.test\u00a0", "trailing no-break space"},
		{"email", "alice@bücher.example", "internationalised domain (one account with its Punycode spelling)"},
		{"email", "alice@xn--bcher-kva.example", "Punycode label (one account with the Unicode spelling)"},
		{"email", "alice@REC.TEST\u0130", "non-ASCII capital in the domain"},
	}
	for _, tt := range refused {
		got, err := verifier.NormalizeLoginID(tt.key, tt.v)
		if !errors.Is(err, verifier.ErrLoginID) || !errors.Is(err, verifier.ErrInvalidToken) {
			t.Errorf("%s %q (%s): %q, %v; want ErrLoginID", tt.key, tt.v, tt.why, got, err)
			continue
		}
		if strings.Contains(err.Error(), strings.TrimSpace(tt.v)) {
			t.Errorf("%s: the error message holds the login ID: %v", tt.why, err)
		}
	}
	accepted := map[[2]string]string{
		{"email", "Alice@Example.com"}: "Alice@Example.com", // ASCII case is the exchange's business
		{"email", "älice@rec.test"}:    "älice@rec.test",
		{"email", "a+tag@rec.test"}:    "a+tag@rec.test",
		{"username", "Alice_1.x-y"}:    "Alice_1.x-y",
		{"phone", "+852 9123-4567"}:    "+85291234567",
	}
	for in, want := range accepted {
		if got, err := verifier.NormalizeLoginID(in[0], in[1]); err != nil || got != want {
			t.Errorf("%v: %q, %v; want %q", in, got, err, want)
		}
	}
}

// The real server's lookups (recordings 099-105): every value for which
// Authgear returned a user whose stored email differs from the value sent
// by more than ASCII case is refused before the lookup; the others pass.
func TestLoginIDAgainstRecordedLookups(t *testing.T) {
	t.Parallel()
	for _, c := range recordedLookups(t) {
		_, err := verifier.NormalizeLoginID("email", c.sent)
		folded := c.found != "" && c.found != strings.ToLower(c.sent)
		switch {
		case folded && !errors.Is(err, verifier.ErrLoginID):
			t.Errorf("%s: Authgear returned %q for %q; NormalizeLoginID: %v, want ErrLoginID", c.name, c.found, c.sent, err)
		case !folded && c.found != "" && err != nil:
			t.Errorf("%s: %q found itself; refused: %v", c.name, c.sent, err)
		}
	}
}

// An email login ID needs email_verified, by default and in every preset
// that maps an email.
func TestEmailVerifiedRequiredByDefault(t *testing.T) {
	t.Parallel()
	srv, _ := jwksServer(t)
	now := time.Now().Unix()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	base := func(extra map[string]any) map[string]any {
		m := map[string]any{"iss": "https://legacy.example.com", "aud": "web", "sub": "42",
			"email": "alice@example.com", "iat": now, "exp": now + 600}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	v, err := verifier.NewJWT(bg(t), verifier.JWTConfig{JWKSURL: srv.URL, Issuer: "https://legacy.example.com", Audience: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for name, claims := range map[string]map[string]any{
		"missing":          base(nil),
		"false":            base(map[string]any{"email_verified": false}),
		"string false":     base(map[string]any{"email_verified": "false"}),
		"null":             base(map[string]any{"email_verified": nil}),
		"number":           base(map[string]any{"email_verified": 1}),
		"nested elsewhere": base(map[string]any{"user": map[string]any{"email_verified": true}}),
	} {
		if _, err := v.VerifyLegacy(bg(t), legacyToken(t, nil, claims)); !errors.Is(err, verifier.ErrEmailVerified) {
			t.Errorf("NewJWT, email_verified %s: %v, want ErrEmailVerified", name, err)
		}
	}
	if _, err := v.VerifyLegacy(bg(t), legacyToken(t, nil, base(map[string]any{"email_verified": true}))); err != nil {
		t.Errorf("verified email: %v", err)
	}

	// Each email preset, with a token shaped like its provider's but
	// without (or with a false) email_verified.
	presets := map[string]struct {
		cfg    verifier.JWTConfig
		claims map[string]any
	}{
		"Auth0": {verifier.Auth0("example.eu.auth0.com", "https://api.example.com", "https://example.com/email"), map[string]any{
			"iss": "https://example.eu.auth0.com/", "aud": "https://api.example.com", "sub": "auth0|1", "iat": now, "exp": now + 600,
			"https://example.com/email": "alice@example.com", "email_verified": true}}, // not the namespaced one
		"Auth0 ID token": {verifier.Auth0("example.eu.auth0.com", "client", ""), map[string]any{
			"iss": "https://example.eu.auth0.com/", "aud": "client", "sub": "auth0|1", "iat": now, "exp": now + 600,
			"email": "alice@example.com", "email_verified": false}},
		"Okta": {verifier.Okta("https://example.okta.com/oauth2/default", "api://default"), map[string]any{
			"iss": "https://example.okta.com/oauth2/default", "aud": "api://default", "sub": "alice@example.com", "iat": now, "exp": now + 600}},
		"Keycloak": {verifier.Keycloak("https://sso.example.com", "myrealm", "account"), map[string]any{
			"iss": "https://sso.example.com/realms/myrealm", "aud": "account", "sub": "7b3f", "iat": now, "exp": now + 600,
			"email": "alice@example.com", "email_verified": false}},
		"HS256": {verifier.HS256(secret, "https://legacy.example.com", "web"), base(nil)},
		"Firebase": {verifier.Firebase("my-project"), map[string]any{"iss": "https://securetoken.google.com/my-project", "aud": "my-project",
			"sub": "u", "iat": now, "exp": now + 600, "email": "alice@example.com"}},
		"CognitoID": {verifier.CognitoID("eu-west-1", "pool", "client"), map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/pool",
			"aud": "client", "token_use": "id", "sub": "u", "iat": now, "exp": now + 600, "email": "alice@example.com", "email_verified": "false"}},
	}
	for name, p := range presets {
		cfg := p.cfg
		tok := ""
		if cfg.HMACSecret != nil {
			tok = hmacToken(map[string]any{"alg": "HS256"}, p.claims, secret)
		} else {
			cfg.JWKSURL = srv.URL
			tok = legacyToken(t, nil, p.claims)
		}
		pv, err := verifier.NewJWT(bg(t), cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := pv.VerifyLegacy(bg(t), tok); !errors.Is(err, verifier.ErrEmailVerified) {
			t.Errorf("preset %s, unverified email: %v, want ErrEmailVerified", name, err)
		}
		pv.Close()
	}
}

// A phone login ID whose provider says phone_number_verified false is
// refused.
func TestPhoneVerifiedWhereSet(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	cfg := verifier.HS256(secret, "https://legacy.example.com", "web")
	cfg.LoginID = verifier.LoginID{Key: "phone"}
	v, err := verifier.NewJWT(bg(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	tok := func(ver any) string {
		c := map[string]any{"iss": "https://legacy.example.com", "aud": "web", "phone_number": "+85291234567", "exp": now + 600}
		if ver != nil {
			c["phone_number_verified"] = ver
		}
		return hmacToken(map[string]any{"alg": "HS256"}, c, secret)
	}
	if _, err := v.VerifyLegacy(bg(t), tok(false)); !errors.Is(err, verifier.ErrEmailVerified) {
		t.Errorf("phone_number_verified false: %v, want ErrEmailVerified", err)
	}
	if _, err := v.VerifyLegacy(bg(t), tok("false")); !errors.Is(err, verifier.ErrEmailVerified) {
		t.Errorf("phone_number_verified \"false\": %v, want ErrEmailVerified", err)
	}
	for _, ok := range []any{true, "true", nil} {
		if _, err := v.VerifyLegacy(bg(t), tok(ok)); err != nil {
			t.Errorf("phone_number_verified %v: %v", ok, err)
		}
	}
}

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

// Opaque Authgear tokens say nothing of their client at userinfo (see
// recording 69), so a client allow-list cannot be enforced for them:
// asking for both is a configuration error.
func TestAuthgearOpaqueTokensWithClientAllowList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "web", OpaqueAccessTokens: true}}})
	_, err := verifier.NewAuthgear(bg(t), verifier.AuthgearConfig{Endpoint: e.fake.URL, OpaqueTokens: true, ClientIDs: []string{"test-client"}})
	if !errors.Is(err, verifier.ErrConfig) {
		t.Fatalf("opaque tokens with a client allow-list: %v, want ErrConfig", err)
	}
}

// Registered claim names match exactly: "AUD" is not "aud", "ISS" is not
// "iss", "EXP" is not "exp".
func TestLegacyRegisteredClaimsExact(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	v, err := verifier.NewJWT(bg(t), verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	for name, tc := range map[string]struct {
		claims map[string]any
		want   error
	}{
		"AUD": {map[string]any{"iss": "https://legacy.example.com", "AUD": "web", "exp": now + 60}, verifier.ErrAudience},
		"ISS": {map[string]any{"ISS": "https://legacy.example.com", "aud": "web", "exp": now + 60}, verifier.ErrIssuer},
		"Exp": {map[string]any{"iss": "https://legacy.example.com", "aud": "web", "Exp": now + 60}, verifier.ErrMissingClaim},
	} {
		tc.claims["email"], tc.claims["email_verified"] = "alice@example.com", true
		tok := hmacToken(map[string]any{"alg": "HS256"}, tc.claims, secret)
		if _, err := v.VerifyLegacy(bg(t), tok); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// A duplicated registered claim is refused: parsers disagree on which
	// copy counts.
	in := b64(map[string]any{"alg": "HS256"}) + "." + base64.RawURLEncoding.EncodeToString([]byte(
		`{"iss":"https://legacy.example.com","aud":"other","aud":"web","email":"alice@example.com","email_verified":true,"exp":`+itoa(now+60)+`}`))
	if _, err := v.VerifyLegacy(bg(t), hmacRaw(in, secret)); !errors.Is(err, verifier.ErrMalformed) {
		t.Errorf("duplicate aud: %v, want ErrMalformed", err)
	}
}

// RFC 7662 introspection without any audience or client check is a
// configuration error; an answer's "AUD" is not its "aud".
func TestIntrospectionNeedsAudienceOrClientCheck(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"active":true,"sub":"42","username":"alice@example.com","email_verified":true,"AUD":"web","exp":` + itoa(time.Now().Add(time.Hour).Unix()) + `}`))
	}))
	defer srv.Close()
	if _, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: srv.URL, ClientID: "app", ClientSecret: "s"}); !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("no audience or client check: %v, want ErrConfig", err)
	}
	in, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: srv.URL, ClientID: "app", ClientSecret: "s",
		Audience: []string{"web"}, LoginID: verifier.LoginID{Claim: "username"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.VerifyLegacy(bg(t), "tok"); !errors.Is(err, verifier.ErrAudience) {
		t.Errorf("answer with AUD, not aud: %v, want ErrAudience", err)
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

// refusingTransport fails every request and counts them: the http://
// checks must refuse before anything is sent.
type refusingTransport struct{ calls atomic.Int32 }

func (rt *refusingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	rt.calls.Add(1)
	return nil, errors.New("no network in this test")
}

// Endpoints given as http:// are refused at construction unless loopback.
func TestPlainHTTPEndpointsRefused(t *testing.T) {
	t.Parallel()
	rt := &refusingTransport{}
	hc := &http.Client{Transport: rt}
	if _, err := verifier.NewAuthgear(bg(t), verifier.AuthgearConfig{Endpoint: "http://myapp.authgear.example", HTTPClient: hc}); !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("Authgear endpoint over http: %v, want ErrConfig", err)
	}
	for name, cfg := range map[string]verifier.JWTConfig{
		"JWKSURL":   {JWKSURL: "http://legacy.example.com/jwks.json", Issuer: "i", Audience: []string{"a"}, HTTPClient: hc},
		"Discovery": {Discovery: true, Issuer: "http://legacy.example.com", Audience: []string{"a"}, HTTPClient: hc},
	} {
		if _, err := verifier.NewJWT(bg(t), cfg); !errors.Is(err, verifier.ErrConfig) {
			t.Errorf("legacy %s over http: %v, want ErrConfig", name, err)
		}
	}
	if _, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: "http://legacy.example.com/introspect", ClientID: "a", ClientSecret: "b",
		Audience: []string{"web"}, HTTPClient: hc}); !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("introspection over http: %v, want ErrConfig", err)
	}
	if n := rt.calls.Load(); n != 0 {
		t.Errorf("%d requests sent to plain-http endpoints", n)
	}
}

// A discovery document at a loopback issuer that names a JWKS on another
// host over plain http is refused as well.
func TestDiscoveredPlainHTTPJWKSRefused(t *testing.T) {
	t.Parallel()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "jwks_uri": "http://keys.example.com/jwks", "userinfo_endpoint": srv.URL + "/userinfo"})
	}))
	defer srv.Close()
	rt := &refusingTransport{}
	_, err := verifier.NewAuthgear(bg(t), verifier.AuthgearConfig{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: &onlyLoopback{rt}}})
	if !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("discovered http JWKS URL: %v, want ErrConfig", err)
	}
	if n := rt.calls.Load(); n != 0 {
		t.Errorf("%d requests sent to the plain-http JWKS", n)
	}
}

// onlyLoopback sends loopback requests and hands the rest to next.
type onlyLoopback struct{ next http.RoundTripper }

func (o *onlyLoopback) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Host, "127.0.0.1:") {
		return http.DefaultTransport.RoundTrip(r)
	}
	return o.next.RoundTrip(r)
}

// rsaToken signs hdr and claims with RS256 under k whatever hdr says, so
// a test can name the header parameters freely.
func rsaToken(t *testing.T, k jwk.Key, hdr, claims map[string]any) string {
	t.Helper()
	var priv rsa.PrivateKey
	if err := k.Raw(&priv); err != nil {
		t.Fatal(err)
	}
	in := b64(hdr) + "." + b64(claims)
	h := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, &priv, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// Header parameter names match exactly too: "ALG" is not "alg", "Kid" is
// not "kid"; and one given twice is refused.
func TestHeaderNamesExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	v := e.verifier(t, verifier.AuthgearConfig{CacheSize: -1})
	kid := e.fake.SigningKeyID()
	if _, err := v.Verify(bg(t), rsaToken(t, e.fake.SigningKey(), map[string]any{"alg": "RS256", "kid": kid, "typ": "at+jwt"}, e.claims())); err != nil {
		t.Fatalf("well-formed token: %v", err)
	}
	for name, tc := range map[string]struct {
		hdr  string
		want error
	}{
		"ALG":       {`{"ALG":"RS256","kid":"` + kid + `"}`, verifier.ErrAlgorithm},
		"Kid":       {`{"alg":"RS256","Kid":"` + kid + `"}`, verifier.ErrUnknownKey},
		"two algs":  {`{"alg":"RS256","alg":"RS256","kid":"` + kid + `"}`, verifier.ErrMalformed},
		"CRIT only": {`{"alg":"RS256","kid":"` + kid + `","CRIT":["x"]}`, nil},
	} {
		in := base64.RawURLEncoding.EncodeToString([]byte(tc.hdr)) + "." + b64(e.claims())
		tok := rsaRaw(t, e.fake.SigningKey(), in)
		_, err := v.Verify(bg(t), tok)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func rsaRaw(t *testing.T, k jwk.Key, in string) string {
	var priv rsa.PrivateKey
	if err := k.Raw(&priv); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(in))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, &priv, crypto.SHA256, h[:])
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// A legacy token that names its login ID claim twice is refused: which
// copy counts depends on the parser.
func TestLegacyDuplicateLoginIDClaim(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	v, err := verifier.NewJWT(bg(t), verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	in := b64(map[string]any{"alg": "HS256"}) + "." + base64.RawURLEncoding.EncodeToString([]byte(
		`{"iss":"https://legacy.example.com","aud":"web","email":"attacker@example.com","email":"victim@example.com","email_verified":true,"exp":`+itoa(time.Now().Unix()+60)+`}`))
	if id, err := v.VerifyLegacy(bg(t), hmacRaw(in, secret)); !errors.Is(err, verifier.ErrMalformed) {
		t.Errorf("duplicated email claim: %+v, %v; want ErrMalformed", id, err)
	}
}

// Introspection answers map emails too: the same email_verified rule.
func TestIntrospectionEmailVerified(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"active":true,"sub":"42","aud":"web","email":"alice@example.com","exp":` + itoa(time.Now().Add(time.Hour).Unix()) + `}`))
	}))
	defer srv.Close()
	in, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: srv.URL, ClientID: "app", ClientSecret: "s", Audience: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.VerifyLegacy(bg(t), "tok"); !errors.Is(err, verifier.ErrEmailVerified) {
		t.Errorf("introspected email without email_verified: %v, want ErrEmailVerified", err)
	}
}
