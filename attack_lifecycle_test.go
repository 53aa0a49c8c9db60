package agmigrate_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// Attacks on the life of a legacy token (issue 10): each test moves the
// clock, a fault or a replica to the worst moment and counts the sessions
// the fake holds.

// newLateWorld is a world whose middleware and verifiers run on the fake
// clock while the fake Authgear stays on the real time: the clock can be
// moved by days and the Admin API still takes the admin JWTs (signed on
// the real time), so a hole shows as the second session it would make
// rather than as a refused admin key.
func newLateWorld(t *testing.T, opts authgeartest.Options) *world {
	t.Helper()
	c := &clock{now: time.Now()}
	opts.EnableCreateSession = true
	fake := authgeartest.New(t, opts)
	ag, err := verifier.NewAuthgear(context.Background(), verifier.AuthgearConfig{Endpoint: fake.URL, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ag.Close)
	cfg := verifier.HS256(legacySecret, "https://legacy.example.com", "web")
	cfg.Now = c.Now
	lv, err := verifier.NewJWT(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, clock: c, fake: fake, ag: ag, legacy: lv, events: &events{}}
}

// legacyTokenFor issues a legacy session for email, issued now and
// expiring after life.
func (w *world) legacyTokenFor(email string, life time.Duration) string {
	w.mu.Lock()
	w.seq++
	n := w.seq
	w.mu.Unlock()
	now := w.clock.Now()
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := enc(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": "https://legacy.example.com", "aud": "web", "sub": fmt.Sprint(n), "email": email, "email_verified": true,
		"iat": now.Unix(), "exp": now.Add(life).Unix(), "jti": fmt.Sprint("legacy-late-", n)})
	mac := hmac.New(sha256.New, legacySecret)
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// The exchange record must last as long as the legacy verifier accepts the
// token: past exp, inside the verifier's leeway, the same token must still
// lead to its session and not make a second one.
func TestAttackRecordOutlivesLeeway(t *testing.T) {
	t.Parallel()
	w := newLateWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	h := w.middleware(w.headerConfig()).Handler(app)
	tok := w.legacyTokenFor("alice@example.com", time.Hour)
	if r := serve(h, withLegacyHeader(tok)); r.source != "exchanged" {
		t.Fatalf("first: %d %s %s", r.status, r.source, r.body)
	}
	// exp has passed; the verifier's one-minute leeway still accepts it.
	w.clock.Advance(time.Hour + 30*time.Second)
	if _, err := w.legacy.VerifyLegacy(context.Background(), tok); err != nil {
		t.Fatalf("the legacy token is no longer accepted: %v", err)
	}
	r := serve(h, withLegacyHeader(tok))
	if r.source != "exchanged" || r.user != alice {
		t.Fatalf("inside the leeway: %d %s %s", r.status, r.source, r.body)
	}
	if n, c := w.fake.SessionCount(alice), w.fake.Calls("createSession"); n != 1 || c != 1 {
		t.Errorf("%d sessions, %d createSession calls inside the leeway; want 1 and 1", n, c)
	}
}

// A spent legacy token stays spent for as long as it can be presented,
// even when that is longer than SessionTTL: re-enabling the user must not
// bring the token back to life a month later.
func TestAttackTombstoneOutlivesSessionTTL(t *testing.T) {
	t.Parallel()
	w := newLateWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	h := w.middleware(w.headerConfig()).Handler(app)
	tok := w.legacyTokenFor("alice@example.com", 90*24*time.Hour) // SessionTTL is 30 days
	if r := serve(h, withLegacyHeader(tok)); r.source != "exchanged" {
		t.Fatalf("first: %d %s %s", r.status, r.source, r.body)
	}
	if err := w.fake.SetDisabledStatus(alice, true, "test"); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(6 * time.Minute) // past RevalidateAfter
	if r := serve(h, withLegacyHeader(tok)); r.status != 401 {
		t.Fatalf("after the user was disabled: %d %s", r.status, r.source)
	}
	if err := w.fake.SetDisabledStatus(alice, false, ""); err != nil {
		t.Fatal(err)
	}
	for _, later := range []time.Duration{29 * 24 * time.Hour, 2 * 24 * time.Hour, 50 * 24 * time.Hour} {
		w.clock.Advance(later)
		if r := serve(h, withLegacyHeader(tok)); r.status != 401 || !strings.Contains(r.body, "sign in again") {
			t.Errorf("%v later: %d %s %s", w.clock.Now().Sub(time.Now()).Round(time.Hour), r.status, r.source, r.body)
		}
	}
	if n, c := w.fake.SessionCount(alice), w.fake.Calls("createSession"); n != 0 || c != 1 {
		t.Errorf("%d live sessions, %d createSession calls; want 0 and 1: the spent token minted a session", n, c)
	}
}

// EndLegacySession spends the token for as long as it can be presented,
// not only for SessionTTL.
func TestAttackEndLegacySessionOutlivesSessionTTL(t *testing.T) {
	t.Parallel()
	w := newLateWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	m := w.middleware(w.headerConfig())
	h := m.Handler(app)
	tok := w.legacyTokenFor("alice@example.com", 90*24*time.Hour)
	serve(h, withLegacyHeader(tok))
	m.EndLegacySession(context.Background(), tok)
	w.clock.Advance(31 * 24 * time.Hour)
	if r := serve(h, withLegacyHeader(tok)); r.status != 401 {
		t.Errorf("31 days after EndLegacySession: %d %s", r.status, r.source)
	}
	if c := w.fake.Calls("createSession"); c != 1 {
		t.Errorf("%d createSession calls, want 1 (sessions now %d)", c, w.fake.SessionCount(alice))
	}
}

// A handler that sets its own caching and writes nothing (an empty 200, a
// 204 decided by returning): the response still carries the tokens, and
// must not be cacheable.
func TestAttackSilentHandlerCacheable(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	silent := http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Cache-Control", "public, max-age=3600")
	})
	for _, tc := range []struct {
		name string
		cfg  agmigrate.Config
		req  func() *http.Request
	}{
		{"cookies", w.config(), func() *http.Request { return withLegacyCookie(w.legacyToken("alice@example.com")) }},
		{"headers", w.headerConfig(), func() *http.Request { return withLegacyHeader(w.legacyToken("alice@example.com")) }},
	} {
		h := w.middleware(tc.cfg).Handler(silent)
		// Through a real server too: it writes the header after the
		// handler returned.
		srv := httptest.NewServer(h)
		req := tc.req()
		out, err := http.NewRequest("GET", srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		out.Header = req.Header.Clone()
		resp, err := srv.Client().Do(out)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		if resp.Header.Get("Set-Cookie") == "" && resp.Header.Get("X-Authgear-Access-Token") == "" {
			t.Fatalf("%s: no tokens delivered", tc.name)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") || strings.Contains(cc, "public") {
			t.Errorf("%s: a response carrying tokens: Cache-Control %q", tc.name, cc)
		}
		r := serve(h, tc.req())
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") || strings.Contains(cc, "public") {
			t.Errorf("%s (recorder): Cache-Control %q", tc.name, cc)
		}
	}
}
