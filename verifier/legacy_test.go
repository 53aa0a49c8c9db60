package verifier_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

var legacyKey = sync.OnceValue(func() jwk.Key {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	k, _ := jwk.FromRaw(priv)
	_ = k.Set(jwk.KeyIDKey, "legacy-1")
	_ = k.Set(jwk.AlgorithmKey, jwa.RS256)
	return k
})

// jwksServer publishes the legacy key's public half and counts fetches.
func jwksServer(t *testing.T) (*httptest.Server, *int) {
	t.Helper()
	pub, _ := legacyKey().PublicKey()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	body, _ := json.Marshal(set)
	n := new(int)
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*n++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

func legacyToken(t *testing.T, hdr, claims map[string]any) string {
	if hdr == nil {
		hdr = map[string]any{"kid": "legacy-1", "typ": "JWT"}
	}
	return forge(t, legacyKey(), jwa.RS256, hdr, claims)
}

// Each preset gets a token shaped exactly like its provider's.
func TestProviderPresets(t *testing.T) {
	t.Parallel()
	srv, _ := jwksServer(t)
	now := time.Now().Unix()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	tests := []struct {
		name    string
		cfg     verifier.JWTConfig
		token   string
		loginID string
		key     string
		subject string
	}{
		{"Auth0 access token with a namespaced email", verifier.Auth0("example.eu.auth0.com", "https://api.example.com", "https://example.com/email"),
			legacyToken(t, map[string]any{"kid": "legacy-1", "typ": "JWT"}, map[string]any{
				"iss": "https://example.eu.auth0.com/", "sub": "auth0|6512f0a1c2d3e4f5a6b7c8d9",
				"aud": []string{"https://api.example.com", "https://example.eu.auth0.com/userinfo"},
				"iat": now, "exp": now + 86400, "azp": "k3yXb0aUq8mBv0n", "scope": "openid profile email",
				"https://example.com/email": "Alice@Example.com", "https://example.com/email_verified": true}),
			"Alice@Example.com", "email", "auth0|6512f0a1c2d3e4f5a6b7c8d9"},
		{"Firebase ID token", verifier.Firebase("my-project"),
			legacyToken(t, map[string]any{"kid": "legacy-1", "typ": "JWT"}, map[string]any{
				"iss": "https://securetoken.google.com/my-project", "aud": "my-project", "auth_time": now - 60,
				"user_id": "kq2Ubn7TQvOkGmRfJkI3xNxbz9A2", "sub": "kq2Ubn7TQvOkGmRfJkI3xNxbz9A2", "iat": now, "exp": now + 3600,
				"email": "alice@example.com", "email_verified": true,
				"firebase": map[string]any{"identities": map[string]any{"email": []string{"alice@example.com"}}, "sign_in_provider": "password"}}),
			"alice@example.com", "email", "kq2Ubn7TQvOkGmRfJkI3xNxbz9A2"},
		{"Cognito access token (no aud)", verifier.CognitoAccess("eu-west-1", "eu-west-1_AbC123xYz", "4mlk2l5q9v0a7l1b3c5d7e9f1g"),
			legacyToken(t, map[string]any{"kid": "legacy-1", "alg": "RS256"}, map[string]any{
				"sub": "d4b8e2f0-1234-4c5d-8e9f-0a1b2c3d4e5f", "cognito:groups": []string{"admins"},
				"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xYz", "client_id": "4mlk2l5q9v0a7l1b3c5d7e9f1g",
				"origin_jti": "5f0c8e2a", "event_id": "a1b2c3d4", "token_use": "access", "scope": "aws.cognito.signin.user.admin",
				"auth_time": now - 10, "exp": now + 3600, "iat": now, "jti": "8e7d6c5b", "username": "alice"}),
			"alice", "username", "d4b8e2f0-1234-4c5d-8e9f-0a1b2c3d4e5f"},
		{"Cognito ID token", verifier.CognitoID("eu-west-1", "eu-west-1_AbC123xYz", "4mlk2l5q9v0a7l1b3c5d7e9f1g"),
			legacyToken(t, map[string]any{"kid": "legacy-1"}, map[string]any{
				"sub": "d4b8e2f0-1234-4c5d-8e9f-0a1b2c3d4e5f", "email_verified": "true",
				"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xYz", "cognito:username": "alice",
				"origin_jti": "5f0c8e2a", "aud": "4mlk2l5q9v0a7l1b3c5d7e9f1g", "event_id": "a1b2c3d4", "token_use": "id",
				"auth_time": now - 10, "exp": now + 3600, "iat": now, "jti": "9f8e7d6c", "email": "alice@example.com"}),
			"alice@example.com", "email", "d4b8e2f0-1234-4c5d-8e9f-0a1b2c3d4e5f"},
		{"Okta access token", verifier.Okta("https://example.okta.com/oauth2/default", "api://default"),
			legacyToken(t, map[string]any{"kid": "legacy-1"}, map[string]any{
				"ver": 1, "jti": "AT.x8Q3Lw0Jr2bF9z", "iss": "https://example.okta.com/oauth2/default", "aud": "api://default",
				"iat": now, "exp": now + 3600, "cid": "0oa1b2c3d4e5f6g7h8i9", "uid": "00u1a2b3c4d5e6f7g8h9",
				"scp": []string{"openid", "email"}, "auth_time": now - 30, "sub": "alice@example.com", "email_verified": true}),
			"alice@example.com", "email", "alice@example.com"},
		{"Keycloak access token", verifier.Keycloak("https://sso.example.com", "myrealm", "account"),
			legacyToken(t, map[string]any{"kid": "legacy-1", "typ": "JWT"}, map[string]any{
				"exp": now + 300, "iat": now, "auth_time": now - 5, "jti": "onrtac:5e3c1f2a", "iss": "https://sso.example.com/realms/myrealm",
				"aud": "account", "sub": "7b3f1c2e-8a9d-4e6f-b1c2-3d4e5f6a7b8c", "typ": "Bearer", "azp": "web", "sid": "0f1e2d3c",
				"acr": "1", "realm_access": map[string]any{"roles": []string{"offline_access", "uma_authorization"}},
				"resource_access": map[string]any{"account": map[string]any{"roles": []string{"manage-account"}}},
				"scope":           "openid email profile", "email_verified": true, "name": "Alice Liddell",
				"preferred_username": "alice", "given_name": "Alice", "family_name": "Liddell", "email": "alice@example.com"}),
			"alice@example.com", "email", "7b3f1c2e-8a9d-4e6f-b1c2-3d4e5f6a7b8c"},
		{"home-grown HS256", verifier.HS256(secret, "https://legacy.example.com", "legacy-web"),
			hmacToken(map[string]any{"alg": "HS256", "typ": "JWT"}, map[string]any{
				"iss": "https://legacy.example.com", "aud": "legacy-web", "sub": "42", "email": "alice@example.com",
				"email_verified": true, "iat": now, "exp": now + 3600}, secret),
			"alice@example.com", "email", "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			if cfg.HMACSecret == nil {
				cfg.JWKSURL = srv.URL // the provider's real URL, pointed here
			}
			v, err := verifier.NewJWT(bg(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			id, err := v.VerifyLegacy(bg(t), tt.token)
			if err != nil {
				t.Fatal(err)
			}
			if id.LoginID != tt.loginID || id.LoginIDKey != tt.key || id.Subject != tt.subject || id.ExpiresAt.IsZero() {
				t.Errorf("identity %+v, want login ID %q (%s), subject %q", id, tt.loginID, tt.key, tt.subject)
			}
		})
	}
}

func TestLegacyRefusals(t *testing.T) {
	t.Parallel()
	srv, fetches := jwksServer(t)
	now := time.Now().Unix()
	c := func(kv ...any) map[string]any {
		m := map[string]any{"iss": "https://legacy.example.com", "aud": "web", "sub": "42", "email": "alice@example.com",
			"email_verified": true, "iat": now, "exp": now + 600}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	v, err := verifier.NewJWT(bg(t), verifier.JWTConfig{JWKSURL: srv.URL, Issuer: "https://legacy.example.com",
		Audience: []string{"web"}, MaxAge: time.Hour, LoginID: verifier.LoginID{RequireEmailVerified: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	pub, _ := legacyKey().PublicKey()
	var rsaPub rsa.PublicKey
	_ = pub.Raw(&rsaPub)
	der, _ := x509.MarshalPKIXPublicKey(&rsaPub)
	pemPub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	tests := []struct {
		name, token string
		want        error
	}{
		{"alg none", b64(map[string]any{"alg": "none"}) + "." + b64(c()) + ".", verifier.ErrAlgorithm},
		{"HS256 with the public key as secret (DER)", hmacToken(map[string]any{"alg": "HS256", "kid": "legacy-1"}, c(), der), verifier.ErrAlgorithm},
		{"HS256 with the public key as secret (PEM)", hmacToken(map[string]any{"alg": "HS256", "kid": "legacy-1"}, c(), pemPub), verifier.ErrAlgorithm},
		{"unknown kid", legacyToken(t, map[string]any{"kid": "nope"}, c()), verifier.ErrUnknownKey},
		{"wrong issuer", legacyToken(t, nil, c("iss", "https://evil.example")), verifier.ErrIssuer},
		{"wrong audience", legacyToken(t, nil, c("aud", "other-app")), verifier.ErrAudience},
		{"expired", legacyToken(t, nil, c("exp", now-3600)), verifier.ErrExpired},
		{"no exp", legacyToken(t, nil, c("exp", nil)), verifier.ErrMissingClaim},
		{"too old", legacyToken(t, nil, c("iat", now-2*3600, "exp", now+600)), verifier.ErrIssuedAt},
		{"no email", legacyToken(t, nil, c("email", nil)), verifier.ErrLoginID},
		{"email not a string", legacyToken(t, nil, c("email", 42)), verifier.ErrLoginID},
		{"not an email", legacyToken(t, nil, c("email", "alice")), verifier.ErrLoginID},
		{"email not verified", legacyToken(t, nil, c("email_verified", false)), verifier.ErrEmailVerified},
		{"crit", legacyToken(t, map[string]any{"kid": "legacy-1", "crit": []string{"b64"}}, c()), verifier.ErrCritical},
	}
	for _, tt := range tests {
		if _, err := v.VerifyLegacy(bg(t), tt.token); !errors.Is(err, tt.want) || !errors.Is(err, verifier.ErrInvalidToken) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	if *fetches > 2 {
		t.Errorf("%d JWKS fetches, want at most 2 (one at start, one refetch for the unknown kid)", *fetches)
	}
	// A Cognito ID token presented where access tokens are expected.
	cog, err := verifier.NewJWT(bg(t), func() verifier.JWTConfig {
		cfg := verifier.CognitoAccess("eu-west-1", "pool", "client")
		cfg.JWKSURL = srv.URL
		return cfg
	}())
	if err != nil {
		t.Fatal(err)
	}
	defer cog.Close()
	idTok := legacyToken(t, nil, map[string]any{"iss": "https://cognito-idp.eu-west-1.amazonaws.com/pool", "client_id": "client",
		"token_use": "id", "username": "alice", "exp": now + 600})
	if _, err := cog.VerifyLegacy(bg(t), idTok); !errors.Is(err, verifier.ErrMissingClaim) {
		t.Errorf("Cognito ID token at the access-token verifier: %v", err)
	}
}

func TestNewJWTConfigErrors(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	for name, cfg := range map[string]verifier.JWTConfig{
		"no key source":       {Issuer: "i", Audience: []string{"a"}},
		"two key sources":     {Issuer: "i", Audience: []string{"a"}, HMACSecret: secret, JWKS: []byte(`{"keys":[]}`)},
		"no issuer":           {Audience: []string{"a"}, HMACSecret: secret},
		"no audience":         {Issuer: "i", HMACSecret: secret},
		"short secret":        {Issuer: "i", Audience: []string{"a"}, HMACSecret: []byte("short")},
		"RS256 with a secret": {Issuer: "i", Audience: []string{"a"}, HMACSecret: secret, Algorithms: []string{"RS256"}},
		"HS256 with a JWKS":   {Issuer: "i", Audience: []string{"a"}, JWKS: []byte(`{"keys":[]}`), Algorithms: []string{"HS256"}},
		"unknown algorithm":   {Issuer: "i", Audience: []string{"a"}, HMACSecret: secret, Algorithms: []string{"HS1"}},
		"bad login ID key":    {Issuer: "i", Audience: []string{"a"}, HMACSecret: secret, LoginID: verifier.LoginID{Key: "phone_number"}},
		"private key in JWKS": {Issuer: "i", Audience: []string{"a"}, JWKS: privateJWKS(t)},
		"PEM that is no key":  {Issuer: "i", Audience: []string{"a"}, PublicKeysPEM: []byte("-----BEGIN X-----\nAAAA\n-----END X-----\n")},
		"negative leeway":     {Issuer: "i", Audience: []string{"a"}, HMACSecret: secret, Leeway: -time.Second},
	} {
		if _, err := verifier.NewJWT(bg(t), cfg); !errors.Is(err, verifier.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	// Skipping the checks must be spelled out.
	if _, err := verifier.NewJWT(bg(t), verifier.JWTConfig{HMACSecret: secret, UnsafeSkipIssuerCheck: true, UnsafeSkipAudienceCheck: true}); err != nil {
		t.Errorf("explicit unsafe skips: %v", err)
	}
}

func privateJWKS(t *testing.T) []byte {
	b, _ := json.Marshal(map[string]any{"keys": []any{legacyKey()}})
	return b
}

func TestStaticKeysAndPEM(t *testing.T) {
	t.Parallel()
	pub, _ := legacyKey().PublicKey()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	jwks, _ := json.Marshal(set)
	var rsaPub rsa.PublicKey
	_ = pub.Raw(&rsaPub)
	der, _ := x509.MarshalPKIXPublicKey(&rsaPub)
	now := time.Now().Unix()
	tok := legacyToken(t, nil, map[string]any{"iss": "i", "aud": "a", "email": "alice@example.com", "email_verified": true, "exp": now + 60})
	for name, cfg := range map[string]verifier.JWTConfig{
		"JWKS": {JWKS: jwks}, "PEM": {PublicKeysPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})},
	} {
		cfg.Issuer, cfg.Audience = "i", []string{"a"}
		v, err := verifier.NewJWT(bg(t), cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if id, err := v.VerifyLegacy(bg(t), tok); err != nil || id.LoginID != "alice@example.com" {
			t.Errorf("%s: %+v %v", name, id, err)
		}
	}
}

func TestNormalizeLoginID(t *testing.T) {
	t.Parallel()
	ok := map[[2]string]string{
		{"email", "Alice@Example.com"}: "Alice@Example.com",
		{"phone", "+852 9123-4567"}:    "+85291234567",
		{"phone", "+1 (415) 555-0100"}: "+14155550100",
		{"phone", "0044 20 7946 0958"}: "+442079460958",
		{"username", "alice"}:          "alice",
	}
	for in, want := range ok {
		if got, err := verifier.NormalizeLoginID(in[0], in[1]); err != nil || got != want {
			t.Errorf("%v: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range [][2]string{{"email", ""}, {"email", "alice"}, {"email", "Alice <a@b.c>"}, {"phone", "91234567"},
		{"phone", "+12"}, {"phone", "+852 9123x4567"}, {"phone", "+0123456789"}, {"username", "al ice"}, {"nickname", "x"},
		{"email", " Alice@Example.com "}, {"username", " alice "}} {
		if _, err := verifier.NormalizeLoginID(in[0], in[1]); !errors.Is(err, verifier.ErrLoginID) {
			t.Errorf("%v: %v, want ErrLoginID", in, err)
		}
	}
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		if u, p, ok := r.BasicAuth(); !ok || u != "app" || p != "s3cret" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch r.PostForm.Get("token") {
		case "good":
			_, _ = w.Write([]byte(`{"active":true,"sub":"42","client_id":"web-app","username":"alice@example.com","email_verified":true,"exp":` +
				json.Number(strings.TrimSpace(itoa(time.Now().Add(time.Hour).Unix()))).String() + `,"iss":"https://legacy.example.com"}`))
		default:
			_, _ = w.Write([]byte(`{"active":false}`))
		}
	}))
	defer srv.Close()
	in, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: srv.URL, ClientID: "app", ClientSecret: "s3cret",
		Issuer: "https://legacy.example.com", ClientIDs: []string{"web-app"}, LoginID: verifier.LoginID{Claim: "username"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		id, err := in.VerifyLegacy(bg(t), "good")
		if err != nil || id.LoginID != "alice@example.com" || id.Subject != "42" {
			t.Fatalf("good token: %+v %v", id, err)
		}
	}
	if calls != 1 {
		t.Errorf("%d introspection calls for 3 verifications, want 1", calls)
	}
	if _, err := in.VerifyLegacy(bg(t), "revoked"); !errors.Is(err, verifier.ErrInactive) {
		t.Errorf("inactive token: %v", err)
	}
	other, _ := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: srv.URL, ClientID: "app", ClientSecret: "s3cret",
		ClientIDs: []string{"mobile-app"}, LoginID: verifier.LoginID{Claim: "username"}})
	if _, err := other.VerifyLegacy(bg(t), "good"); !errors.Is(err, verifier.ErrClientID) {
		t.Errorf("token of another client: %v, want ErrClientID", err)
	}
	bad, _ := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: srv.URL, ClientID: "app", ClientSecret: "wrong", UnsafeSkipAudienceCheck: true})
	if _, err := bad.VerifyLegacy(bg(t), "good"); !errors.Is(err, verifier.ErrUnavailable) || errors.Is(err, verifier.ErrInvalidToken) {
		t.Errorf("endpoint refusing us: %v, want ErrUnavailable", err)
	}
	if _, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: srv.URL}); !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("no client credentials: %v", err)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestLegacyFunc(t *testing.T) {
	t.Parallel()
	sessions := map[string]string{"sid-1": "Alice@Example.com", "sid-3": "Alice@Example.com\x00"}
	v := verifier.LegacyFunc(func(_ context.Context, tok string) (*verifier.LegacyIdentity, error) {
		email, ok := sessions[tok]
		if !ok {
			return nil, verifier.Invalid(verifier.ErrInactive, "no such session")
		}
		return &verifier.LegacyIdentity{LoginID: email, Subject: tok}, nil
	})
	id, err := v.VerifyLegacy(bg(t), "sid-1")
	if err != nil || id.LoginID != "Alice@Example.com" || id.LoginIDKey != "email" {
		t.Fatalf("%+v %v", id, err)
	}
	if _, err := v.VerifyLegacy(bg(t), "sid-2"); !errors.Is(err, verifier.ErrInactive) || !errors.Is(err, verifier.ErrInvalidToken) {
		t.Errorf("unknown session: %v", err)
	}
	if _, err := v.VerifyLegacy(bg(t), "sid-3"); !errors.Is(err, verifier.ErrLoginID) {
		t.Errorf("stored login ID with a NUL: %v, want ErrLoginID", err)
	}
}

// Discovery finds the JWKS from the issuer; a dotted claim path reads a
// nested claim.
func TestLegacyDiscoveryAndNestedClaim(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	v, err := verifier.NewJWT(bg(t), verifier.JWTConfig{Discovery: true, Issuer: e.fake.URL, Audience: []string{e.fake.URL},
		LoginID: verifier.LoginID{Key: "username", Claim: "profile.handle"}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	c := e.claims()
	c["profile"] = map[string]any{"handle": "alice"}
	id, err := v.VerifyLegacy(bg(t), e.forge(t, nil, c))
	if err != nil || id.LoginID != "alice" {
		t.Fatalf("%+v %v", id, err)
	}
	if e.fake.Calls("discovery") != 1 || e.fake.Calls("jwks") != 1 {
		t.Errorf("calls %v", e.fake.AllCalls())
	}
}
