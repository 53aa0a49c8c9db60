package agmigrate_test

import (
	"encoding/json"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

func TestMigrationEndpoint(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	w.fake.AddUser(authgeartest.User{Email: "carol@example.com", Disabled: true})
	cfg := w.config()
	cfg.LegacyToken = agmigrate.HeaderExtractor{Name: "Authorization", Scheme: "Bearer"}
	m := w.middleware(cfg)
	ep := m.MigrationEndpoint()
	tok := w.legacyToken("alice@example.com")

	call := func(method, auth, ctype, body string) (int, map[string]any, *httptest.ResponseRecorder) {
		r := httptest.NewRequest(method, "/migrate", strings.NewReader(body))
		if auth != "" {
			r.Header.Set("Authorization", "Bearer "+auth)
		}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		rec := httptest.NewRecorder()
		ep.ServeHTTP(rec, r)
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		return rec.Code, m, rec
	}

	code, out, rec := call("POST", tok, "application/json", `{"login_id":"ALICE@example.com","device_info":{"ios":{"uname":{"machine":"iPhone15,2"}}}}`)
	if code != 200 || out["token_type"] != "Bearer" || out["expires_in"] != float64(1800) || out["access_token"] == nil || out["refresh_token"] == nil {
		t.Fatalf("migration: %d %v", code, out)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("token response may be cached")
	}
	if s := w.fake.Sessions(alice); len(s) != 1 || s[0].DeviceInfo["ios"] == nil {
		t.Errorf("sessions %+v: the client's device info should reach Authgear", s)
	}
	// The same legacy token again (a retry, or the middleware): same session.
	if code, again, _ := call("POST", tok, "", ""); code != 200 || again["access_token"] != out["access_token"] || w.fake.SessionCount(alice) != 1 {
		t.Errorf("second call: %d, same tokens %v, sessions %d", code, again["access_token"] == out["access_token"], w.fake.SessionCount(alice))
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if s := serve(m.Handler(app), r); s.source != "exchanged" || w.fake.SessionCount(alice) != 1 {
		t.Errorf("middleware after the endpoint: %s, %d sessions", s.source, w.fake.SessionCount(alice))
	}

	for _, tc := range []struct {
		name, method, auth, ctype, body string
		status                          int
		errCode                         string
	}{
		{"GET", "GET", tok, "", "", 405, "method_not_allowed"},
		{"no token", "POST", "", "", "", 401, "unauthorized"},
		{"forged token", "POST", tok[:len(tok)-3] + "AAA", "", "", 401, "invalid_token"},
		{"text body", "POST", tok, "text/plain", "hi", 415, "unsupported_media_type"},
		{"bad JSON", "POST", tok, "application/json", "{", 400, "invalid_request"},
		{"unknown field", "POST", tok, "application/json", `{"user_id":"x"}`, 400, "invalid_request"},
		{"huge body", "POST", tok, "application/json", `{"login_id":"` + strings.Repeat("a", 20000) + `"}`, 413, "request_too_large"},
		{"someone else's login ID", "POST", tok, "application/json", `{"login_id":"bob@example.com"}`, 403, "login_id_mismatch"},
		{"not in Authgear", "POST", w.legacyToken("nobody@example.com"), "", "", 404, "user_not_migrated"},
		{"disabled", "POST", w.legacyToken("carol@example.com"), "", "", 403, "user_disabled"},
	} {
		code, out, rec := call(tc.method, tc.auth, tc.ctype, tc.body)
		if code != tc.status || out["error"] != tc.errCode {
			t.Errorf("%s: %d %v, want %d %s", tc.name, code, out, tc.status, tc.errCode)
		}
		if code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
	}
	if n := w.fake.Calls("createSession"); n != 1 {
		t.Errorf("%d sessions created in all, want 1", n)
	}

	// Authgear down: 503 with Retry-After.
	w.fake.SetFault("graphql", authgeartest.Fault{Status: 503})
	code, out, rec = call("POST", w.legacyToken("alice@example.com"), "", "")
	if code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("Authgear down: %d %v", code, out)
	}
}

// An exchange the governor holds back is answered 503 with the governor's
// Retry-After and counted as throttled, not as an Admin API failure.
func TestMigrationEndpointThrottled(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	w.fake.AddUser(authgeartest.User{Email: "bob@example.com"})
	cfg := w.config()
	cfg.LegacyToken = agmigrate.HeaderExtractor{Name: "Authorization", Scheme: "Bearer"}
	cfg.MaxExchanges, cfg.ExchangeQueue, cfg.QueueWait = 1, -1, time.Millisecond
	m := w.middleware(cfg)
	ep := m.MigrationEndpoint()
	call := func(email string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/migrate", nil)
		r.Header.Set("Authorization", "Bearer "+w.legacyToken(email))
		rec := httptest.NewRecorder()
		ep.ServeHTTP(rec, r)
		return rec
	}
	hold := make(chan struct{})
	w.fake.SetFault("getUserByLoginID", authgeartest.Fault{Hold: hold, Times: 1})
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- call("alice@example.com") }()
	for m.Governor().Stats().InFlight != 1 { // alice's exchange holds the only slot
		runtime.Gosched()
	}
	rec := call("bob@example.com")
	close(hold)
	if a := <-done; a.Code != 200 {
		t.Errorf("alice: %d %s", a.Code, a.Body)
	}
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("bob: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if w.events.count(agmigrate.OutcomeThrottled) != 1 || w.events.count(agmigrate.OutcomeAdminError) != 0 {
		t.Errorf("events %+v", w.events.l)
	}
}
