package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
)

func legacyToken(email string) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := enc(map[string]any{"alg": "HS256"}) + "." + enc(map[string]any{"iss": "https://legacy.example.com",
		"aud": "web", "email": email, "email_verified": true, "exp": time.Now().Add(time.Hour).Unix()})
	m := hmac.New(sha256.New, legacySecret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestChiApp(t *testing.T) {
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	h, err := newRouter(context.Background(), authgear{admin: fake.AdminClient(), endpoint: fake.URL, clientID: "test-client"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string, cookie *http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		if cookie != nil {
			r.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	if rec := get("/api/profile", nil); rec.Code != 401 {
		t.Errorf("protected route without a session: %d", rec.Code)
	}
	if rec := get("/", nil); !strings.Contains(rec.Body.String(), "stranger") {
		t.Errorf("open route: %s", rec.Body.String())
	}
	rec := get("/api/profile", &http.Cookie{Name: "legacy_session", Value: legacyToken("alice@example.com")})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), alice) || !strings.Contains(rec.Body.String(), `"via":"exchanged"`) {
		t.Errorf("legacy session: %d %s", rec.Code, rec.Body.String())
	}
	var access *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "ag_access" {
			access = c
		}
	}
	if rec := get("/api/profile", access); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"via":"authgear"`) {
		t.Errorf("Authgear cookie: %d %s", rec.Code, rec.Body.String())
	}
}

// The app reads the AUTHGEAR_* variables the CLI reads, admin listener
// included, and says why it falls back to the fake.
func TestConnect(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	a, closeFn, err := connect(func(string) string { return "" }, logger, nil)
	if err != nil || a.clientID != "test-client" || !strings.Contains(logs.String(), "no AUTHGEAR_* variable is set") {
		t.Fatalf("fallback: %v\n%s", err, logs.String())
	}
	closeFn()

	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true, AdminListener: true})
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	pemKey, kid := fake.AdminKeyPEM()
	keyFile := filepath.Join(t.TempDir(), "admin.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AUTHGEAR_ENDPOINT": fake.URL, "AUTHGEAR_ADMIN_URL": fake.AdminURL(), "AUTHGEAR_PROJECT_ID": fake.ProjectID(),
		"AUTHGEAR_ADMIN_KEY_FILE": keyFile, "AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_CLIENT_ID": "test-client"}
	// The public listener of a self-hosted Authgear answers no Admin API call.
	public := fake.Host()
	client := &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == public && strings.HasPrefix(r.URL.Path, "/_api/admin/") {
			return &http.Response{StatusCode: 404, Status: "404 Not Found", Request: r, Header: http.Header{},
				Body: io.NopCloser(strings.NewReader("404 page not found\n"))}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	a, closeFn, err = connect(func(k string) string { return env[k] }, logger, client)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	h, err := newRouter(context.Background(), a, logger)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/profile", nil)
	r.AddCookie(&http.Cookie{Name: "legacy_session", Value: legacyToken("alice@example.com")})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"via":"exchanged"`) {
		t.Errorf("%d %s\n%s", rec.Code, rec.Body.String(), logs.String())
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
