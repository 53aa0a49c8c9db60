package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// legacySystem publishes a JWKS and signs tokens for login IDs.
type legacySystem struct {
	url  string
	key  jwk.Key
	stop func()
}

func newLegacy(t *testing.T) *legacySystem {
	t.Helper()
	priv, _ := rsa.GenerateKey(rand.Reader, 2048)
	lk, _ := jwk.FromRaw(priv)
	_ = lk.Set(jwk.KeyIDKey, "legacy-1")
	pub, _ := lk.PublicKey()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(set) }))
	t.Cleanup(srv.Close)
	return &legacySystem{url: srv.URL, key: lk}
}

func (l *legacySystem) token(email string) string {
	tok, _ := jwt.NewBuilder().Issuer("https://legacy.example.com").Audience([]string{"mobile-app"}).
		Claim("email", email).Claim("email_verified", true).Expiration(time.Now().Add(time.Hour)).Build()
	signed, _ := jwt.Sign(tok, jwt.WithKey(jwa.RS256, l.key))
	return string(signed)
}

// authgearEnv is the environment pointing at a fake, as a user would set it.
func authgearEnv(t *testing.T, fake *authgeartest.Server, legacy *legacySystem) map[string]string {
	t.Helper()
	pemKey, kid := fake.AdminKeyPEM()
	keyFile := filepath.Join(t.TempDir(), "admin.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"AUTHGEAR_ENDPOINT": fake.URL, "AUTHGEAR_PROJECT_ID": fake.ProjectID(), "AUTHGEAR_ADMIN_KEY_FILE": keyFile,
		"AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_CLIENT_ID": "test-client",
		"LEGACY_JWKS_URL": legacy.url, "LEGACY_ISSUER": "https://legacy.example.com", "LEGACY_AUDIENCE": "mobile-app",
	}
}

func migrate(t *testing.T, h http.Handler, tok string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	r := httptest.NewRequest("POST", "/migrate", strings.NewReader(`{"login_id":"alice@example.com"}`))
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec, out
}

// The example, configured from the environment as a user would, against
// the fake Authgear and a legacy system publishing a JWKS.
func TestMobileMigration(t *testing.T) {
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	legacy := newLegacy(t)
	env := authgearEnv(t, fake, legacy)
	h, closeAll, err := newHandler(context.Background(), settings{env: func(k string) string { return env[k] }, log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	rec, out := migrate(t, h, legacy.token("alice@example.com"))
	if rec.Code != 200 || out["access_token"] == nil || out["refresh_token"] == nil || fake.SessionCount(alice) != 1 {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}

// A self-hosted Authgear (public origin and admin listener apart; the
// public one answers no Admin API call) works with AUTHGEAR_ADMIN_URL, and
// without it the 503 is logged with its cause.
func TestMobileSelfHosted(t *testing.T) {
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true, AdminListener: true, AdminOnlyOnAdminListener: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	legacy := newLegacy(t)
	for _, withAdminURL := range []bool{true, false} {
		env := authgearEnv(t, fake, legacy)
		if withAdminURL {
			env["AUTHGEAR_ADMIN_URL"] = fake.AdminURL()
		}
		var logs bytes.Buffer
		h, closeAll, err := newHandler(context.Background(), settings{env: func(k string) string { return env[k] }, log: &logs})
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := migrate(t, h, legacy.token("alice@example.com"))
		closeAll()
		switch {
		case withAdminURL && (rec.Code != 200 || fake.SessionCount(alice) != 1):
			t.Errorf("with AUTHGEAR_ADMIN_URL: %d %s\n%s", rec.Code, rec.Body.String(), logs.String())
		case !withAdminURL && (rec.Code != 503 || !strings.Contains(logs.String(), "exchange failed") || !strings.Contains(logs.String(), "404")):
			t.Errorf("without AUTHGEAR_ADMIN_URL: %d, logs:\n%s", rec.Code, logs.String())
		}
	}
}

// With no AUTHGEAR_* variable the example runs on a fake and says why.
func TestMobileFallsBackToTheFake(t *testing.T) {
	legacy := newLegacy(t)
	env := map[string]string{"LEGACY_JWKS_URL": legacy.url, "LEGACY_ISSUER": "https://legacy.example.com", "LEGACY_AUDIENCE": "mobile-app"}
	var logs bytes.Buffer
	h, closeAll, err := newHandler(context.Background(), settings{env: func(k string) string { return env[k] }, log: &logs})
	if err != nil {
		t.Fatal(err)
	}
	defer closeAll()
	if !strings.Contains(logs.String(), "fake Authgear") || !strings.Contains(logs.String(), "no AUTHGEAR_* variable is set") {
		t.Errorf("logs:\n%s", logs.String())
	}
	if rec, _ := migrate(t, h, legacy.token("alice@example.com")); rec.Code != 200 {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
}
