package verifier_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/verifier"
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
