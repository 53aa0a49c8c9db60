package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
	h, err := newRouter(context.Background(), fake)
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
