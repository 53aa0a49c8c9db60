package agmigrate_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// legacyTokenExp issues a legacy session for email that expires at exp.
func (w *world) legacyTokenExp(email string, exp time.Time) string {
	w.mu.Lock()
	w.seq++
	n := w.seq
	w.mu.Unlock()
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := enc(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": "https://legacy.example.com", "aud": "web", "sub": fmt.Sprint(n), "email": email, "email_verified": true,
		"iat": exp.Add(-time.Hour).Unix(), "exp": exp.Unix(), "jti": fmt.Sprint("legacy-", n)})
	mac := hmac.New(sha256.New, legacySecret)
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// withLegacyHeader is a request carrying tok in X-Legacy-Token, as an API
// client (or a second browser tab of a header-mode app) sends it.
func withLegacyHeader(tok string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Legacy-Token", tok)
	return r
}

// headerConfig takes the legacy token from X-Legacy-Token and hands the
// Authgear tokens back in headers.
func (w *world) headerConfig() agmigrate.Config {
	cfg := w.config()
	cfg.LegacyToken = agmigrate.HeaderExtractor{Name: "X-Legacy-Token"}
	cfg.Delivery = agmigrate.Headers{}
	return cfg
}

// logSink is a text logger whose output the test reads.
func logSink() (*slog.Logger, *syncBuffer) {
	var b syncBuffer
	return slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})), &b
}

// cookieRequest carries the Authgear cookies of an earlier answer.
func cookieRequest(from served, names ...string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	for _, n := range names {
		if c := from.cookies[n]; c != nil && c.MaxAge >= 0 {
			r.AddCookie(&http.Cookie{Name: n, Value: c.Value})
		}
	}
	return r
}

// Rotation: the browser's refresh rotates the refresh token; the stored
// exchange follows, so the same legacy token presented later (from an API
// client, say) leads to the live session, not to a second one.
func TestStoredExchangeFollowsRotation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "test-client", RotateRefreshTokens: true}}})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	cfg := w.config()
	cfg.LegacyToken = agmigrate.ExtractorFunc(func(r *http.Request) string {
		if c, err := r.Cookie("legacy_session"); err == nil {
			return c.Value
		}
		return r.Header.Get("X-Legacy-Token")
	})
	cfg.Delivery = agmigrate.Both(agmigrate.Cookies{InsecureAllowHTTP: true}, agmigrate.Headers{})
	h := w.middleware(cfg).Handler(app)
	tok := w.legacyToken("alice@example.com")
	first := serve(h, withLegacyCookie(tok))
	w.clock.Advance(31 * time.Minute)
	// The browser's access token expired: its refresh rotates the token.
	renewed := serve(h, cookieRequest(first, "ag_refresh"))
	if renewed.source != "authgear" || renewed.cookies["ag_refresh"] == nil || renewed.cookies["ag_refresh"].Value == first.cookies["ag_refresh"].Value {
		t.Fatalf("cookie refresh: %s", renewed.source)
	}
	w.clock.Advance(31 * time.Minute)
	// The legacy token again, from another client.
	again := serve(h, withLegacyHeader(tok))
	if again.source != "exchanged" || again.user != alice {
		t.Fatalf("legacy token after rotation: %s %s", again.source, again.body)
	}
	if n := w.fake.SessionCount(alice); n != 1 || w.fake.Calls("createSession") != 1 {
		t.Fatalf("%d sessions, %d createSession calls; want 1 and 1", n, w.fake.Calls("createSession"))
	}
	// It got the live session: its refresh token works.
	rt := again.header.Get("X-Authgear-Refresh-Token")
	if rt == "" || rt == first.cookies["ag_refresh"].Value {
		t.Fatal("the legacy token led to the rotated-away refresh token")
	}
	w.clock.Advance(31 * time.Minute)
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "ag_refresh", Value: rt})
	if r := serve(h, req); r.source != "authgear" || r.user != alice {
		t.Errorf("refreshing with the refresh token the legacy token led to: %s", r.source)
	}
}

// Authgear ends the session (the user disabled, which deletes every
// session; or the session revoked): the legacy token is spent. It gets a
// clear 401 and never a new session, even after the user is enabled again.
func TestEndedSessionTombstonesLegacyToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		end  func(w *world, user string)
	}{
		{"user disabled", func(w *world, user string) {
			if err := w.fake.SetDisabledStatus(user, true, "test"); err != nil {
				t.Fatal(err)
			}
		}},
		{"session revoked", func(w *world, user string) {
			if n := w.fake.RevokeAllSessions(user); n != 1 {
				t.Fatalf("revoked %d sessions", n)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, authgeartest.Options{})
			alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
			h := w.middleware(w.headerConfig()).Handler(app)
			tok := w.legacyToken("alice@example.com")
			if r := serve(h, withLegacyHeader(tok)); r.source != "exchanged" {
				t.Fatalf("first: %s", r.source)
			}
			tc.end(w, alice)
			// Within the revalidation age the stored session is handed out
			// as is (a JWT cannot show revocation); past it, Authgear is asked.
			w.clock.Advance(6 * time.Minute)
			r := serve(h, withLegacyHeader(tok))
			if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) || !strings.Contains(r.body, "sign in again") {
				t.Fatalf("after the session ended: %d %q %s", r.status, r.header.Get("WWW-Authenticate"), r.body)
			}
			_ = w.fake.SetDisabledStatus(alice, false, "")
			w.clock.Advance(2 * time.Hour)
			if r := serve(h, withLegacyHeader(tok)); r.status != 401 {
				t.Errorf("later: %d %s", r.status, r.source)
			}
			if n := w.fake.Calls("createSession"); n != 1 {
				t.Errorf("%d createSession calls, want 1: the spent token made another session", n)
			}
			if w.events.count(agmigrate.OutcomeSessionEnded) != 2 {
				t.Errorf("%d session_ended outcomes", w.events.count(agmigrate.OutcomeSessionEnded))
			}
		})
	}
}

// ServeEndedAsLegacy serves a spent token as legacy; EndLegacySession
// spends a token from the app's own legacy logout.
func TestEndLegacySessionAndServeAsLegacy(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	cfg := w.headerConfig()
	cfg.Store = agmigrate.NewMemoryStore(100) // shared by both middlewares below
	m := w.middleware(cfg)
	h := m.Handler(app)
	tok := w.legacyToken("alice@example.com")
	serve(h, withLegacyHeader(tok))
	m.EndLegacySession(context.Background(), tok)
	if r := serve(h, withLegacyHeader(tok)); r.status != 401 {
		t.Errorf("after EndLegacySession: %d %s", r.status, r.source)
	}
	// The migration endpoint says the same.
	post := httptest.NewRequest("POST", "/migrate", nil)
	post.Header.Set("Authorization", "Bearer "+tok)
	if r := serve(m.MigrationEndpoint(), post); r.status != 401 || !strings.Contains(r.body, "sign in again") {
		t.Errorf("endpoint after EndLegacySession: %d %s", r.status, r.body)
	}
	// Never exchanged, ended all the same (a legacy logout before the
	// first request): it will not be exchanged.
	other := w.legacyToken("alice@example.com")
	m.EndLegacySession(context.Background(), other)
	cfg.ServeEndedAsLegacy = true
	hl := w.middleware(cfg).Handler(app)
	if r := serve(hl, withLegacyHeader(other)); r.status != 200 || r.source != "legacy" {
		t.Errorf("ServeEndedAsLegacy: %d %s", r.status, r.source)
	}
	if n := w.fake.Calls("createSession"); n != 1 {
		t.Errorf("%d createSession calls, want 1", n)
	}
}
