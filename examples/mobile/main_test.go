package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
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

// The example, configured from the environment as a user would, against
// the fake Authgear and a legacy system publishing a JWKS.
func TestMobileMigration(t *testing.T) {
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	pemKey, kid := fake.AdminKeyPEM()
	keyFile := filepath.Join(t.TempDir(), "admin.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	priv, _ := rsa.GenerateKey(rand.Reader, 2048)
	lk, _ := jwk.FromRaw(priv)
	_ = lk.Set(jwk.KeyIDKey, "legacy-1")
	pub, _ := lk.PublicKey()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(set) }))
	defer jwks.Close()
	for k, v := range map[string]string{
		"AUTHGEAR_ENDPOINT": fake.URL, "AUTHGEAR_PROJECT_ID": fake.ProjectID(), "AUTHGEAR_ADMIN_KEY_FILE": keyFile,
		"AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_CLIENT_ID": "test-client",
		"LEGACY_JWKS_URL": jwks.URL, "LEGACY_ISSUER": "https://legacy.example.com", "LEGACY_AUDIENCE": "mobile-app",
	} {
		t.Setenv(k, v)
	}
	h, err := newHandler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := jwt.NewBuilder().Issuer("https://legacy.example.com").Audience([]string{"mobile-app"}).
		Claim("email", "alice@example.com").Claim("email_verified", true).Expiration(time.Now().Add(time.Hour)).Build()
	signed, _ := jwt.Sign(tok, jwt.WithKey(jwa.RS256, lk))

	r := httptest.NewRequest("POST", "/migrate", strings.NewReader(`{"login_id":"alice@example.com"}`))
	r.Header.Set("Authorization", "Bearer "+string(signed))
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	if rec.Code != 200 || out["access_token"] == nil || out["refresh_token"] == nil || fake.SessionCount(alice) != 1 {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}
