package revoke_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/revoke"
	"github.com/agmigrate/agmigrate/verifier"
)

func hs256(t *testing.T, secret []byte, claims map[string]any) string {
	t.Helper()
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(c)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// The whole undo: sessions the middleware created by exchanging legacy
// sessions carry the marker and are revoked; the session the user made by
// signing in at Authgear stays.
func TestUndoCutOver(t *testing.T) {
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	own, err := fake.CreateSession(alice, "test-client", nil)
	if err != nil {
		t.Fatal(err)
	}
	ag, err := verifier.NewAuthgear(ctx(t), verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ag.Close)
	secret := []byte("a home-grown system's HMAC secret, 32+ bytes")
	legacy, err := verifier.NewJWT(ctx(t), verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	mw, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, jti := range []string{"one", "two"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("User-Agent", safari)
		r.AddCookie(&http.Cookie{Name: "legacy_session", Value: hs256(t, secret, map[string]any{
			"iss": "https://legacy.example.com", "aud": "web", "email": "alice@example.com", "email_verified": true, "exp": 1 << 40, "jti": jti})})
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	if n := fake.SessionCount(alice); n != 3 {
		t.Fatalf("%d sessions, want 2 exchanged and her own", n)
	}
	for _, s := range fake.Sessions(alice) {
		if (s.ID != own.SessionID) != adminapi.HasDeviceInfoMarker(s.DeviceInfo) {
			t.Errorf("session %s: device-info marker %v", s.ID, adminapi.HasDeviceInfoMarker(s.DeviceInfo))
		}
	}
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: fake.AdminClient()})
	if err != nil || rep.Revoked != 2 || rep.Unmarked != 1 {
		t.Fatalf("report %+v, %v", rep, err)
	}
	if ss := fake.Sessions(alice); len(ss) != 1 || ss[0].ID != own.SessionID {
		t.Errorf("left %+v, want only her own session", ss)
	}
}
