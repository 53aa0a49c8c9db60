package agmigrate_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

func withRefreshCookie(rt string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "ag_refresh", Value: rt})
	return r
}

// A refresh cookie that cannot be an Authgear refresh token costs no call;
// one Authgear refused is remembered, so repeating it costs none either.
func TestJunkRefreshCookiesCostNoCalls(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	h := w.middleware(w.config()).Handler(app)
	for _, junk := range []string{"junk", strings.Repeat("A", 5000), "00000000-0000-0000-0000-000000000000", "not-a-uuid-at-all-but-36-characters!.AAAAAAAAAAAAAAAAAAAAAAAA"} {
		r := serve(h, withRefreshCookie(junk))
		if r.status != 200 || r.source != "none" {
			t.Errorf("junk cookie: %d %s", r.status, r.source)
		}
		if c := r.cookies["ag_refresh"]; c == nil || c.MaxAge >= 0 {
			t.Error("a junk refresh cookie is not cleared")
		}
	}
	if n := w.fake.Calls("token"); n != 0 {
		t.Errorf("%d token-endpoint calls for junk cookies, want 0", n)
	}
	wellFormed := "0b5c1a9e-3f0d-4c55-9d37-6a1f2b3c4d5e.ZmFrZXJhbmRvbXN0cmluZ29mdGhpcnR5dHdv"
	for i := 0; i < 5; i++ {
		serve(h, withRefreshCookie(wellFormed))
	}
	if n := w.fake.Calls("token"); n != 1 {
		t.Errorf("%d token-endpoint calls for one refused token presented 5 times, want 1", n)
	}
}

// When Authgear's token endpoint fails, a request that may be anonymous
// goes on (no 503), keeping its cookies; RequireAuth or FailClosed answer
// 503.
func TestRefreshFailurePolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mod    func(*agmigrate.Config)
		status int
	}{
		{"default: on without the session", func(*agmigrate.Config) {}, 200},
		{"credentials required", func(c *agmigrate.Config) { c.RequireAuth = true }, 503},
		{"fail closed", func(c *agmigrate.Config) { c.RefreshFailurePolicy = agmigrate.FailClosed }, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, authgeartest.Options{})
			w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
			cfg := w.config()
			tc.mod(&cfg)
			h := w.middleware(cfg).Handler(app)
			first := serve(h, withLegacyCookie(w.legacyToken("alice@example.com")))
			w.clock.Advance(31 * time.Minute)
			w.fake.SetFault("token", authgeartest.Fault{Status: 503})
			r := serve(h, withRefreshCookie(first.cookies["ag_refresh"].Value))
			if r.status != tc.status {
				t.Errorf("status %d, want %d", r.status, tc.status)
			}
			if c := r.cookies["ag_refresh"]; c != nil && c.MaxAge < 0 {
				t.Error("the refresh cookie was cleared for a passing failure")
			}
			// Once Authgear is back, the same cookie works.
			w.fake.ClearFault("token")
			if r := serve(h, withRefreshCookie(first.cookies["ag_refresh"].Value)); r.source != "authgear" {
				t.Errorf("after recovery: %s", r.source)
			}
		})
	}
}

// A refresh whose new access token is signed by a key the verifier has
// not fetched yet (rotation inside its cool-down) keeps the rotated refresh
// token, and the access token is checked again once the keys are fetched:
// the user is not logged out, and no further refresh is spent.
func TestRefreshWithKeyNotFetchedYet(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "test-client", RotateRefreshTokens: true}}})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	h := w.middleware(w.config()).Handler(app)
	first := serve(h, withLegacyCookie(w.legacyToken("alice@example.com")))
	w.clock.Advance(31 * time.Minute)
	// A first rotation, picked up by the verifier: its cool-down starts.
	w.fake.RotateSigningKey(true)
	probe, err := w.fake.CreateSession(alice, "test-client", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ag.Verify(context.Background(), probe.AccessToken); err != nil {
		t.Fatal(err)
	}
	// A second one inside the cool-down: the refreshed token's key is new.
	w.fake.RotateSigningKey(true)
	r := serve(h, withRefreshCookie(first.cookies["ag_refresh"].Value))
	if r.status != 200 {
		t.Fatalf("refresh with an unfetched key: %d %s", r.status, r.body)
	}
	rt, at := r.cookies["ag_refresh"], r.cookies["ag_access"]
	if rt == nil || at == nil || rt.MaxAge <= 0 || rt.Value == first.cookies["ag_refresh"].Value {
		t.Fatal("the rotated refresh token was not kept")
	}
	again := httptest.NewRequest("GET", "/", nil)
	again.AddCookie(&http.Cookie{Name: "ag_access", Value: at.Value})
	again.AddCookie(&http.Cookie{Name: "ag_refresh", Value: rt.Value})
	if r := serve(h, again); r.status != 200 || r.cookies["ag_refresh"] != nil {
		t.Errorf("inside the cool-down: %d, cookies %v", r.status, r.cookies)
	}
	w.clock.Advance(2 * time.Minute)
	if r := serve(h, again); r.source != "authgear" || r.user != alice {
		t.Errorf("after the keys are fetched: %s", r.source)
	}
	if n := w.fake.Calls("token"); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}
}

// A response that sets tokens is never cacheable, whatever the handler
// says; Flusher, Hijacker and ResponseController keep working.
func TestTokenResponsesNeverCacheable(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	var flushed, hijackRefused atomic.Bool
	handler := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Cache-Control", "public, max-age=3600")
		rw.Header().Set("Expires", "Thu, 01 Dec 2099 16:00:00 GMT")
		if err := http.NewResponseController(rw).Flush(); err == nil {
			flushed.Store(true)
		}
		if hj, ok := rw.(http.Hijacker); ok {
			if _, _, err := hj.Hijack(); errors.Is(err, http.ErrNotSupported) {
				hijackRefused.Store(true)
			}
		}
		_, _ = rw.Write([]byte("hello"))
	})
	h := w.middleware(w.config()).Handler(handler)
	r := serve(h, withLegacyCookie(w.legacyToken("alice@example.com")))
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") || strings.Contains(cc, "public") || r.header.Get("Expires") != "" {
		t.Errorf("a response setting tokens: Cache-Control %q, Expires %q", cc, r.header.Get("Expires"))
	}
	if !flushed.Load() || !hijackRefused.Load() {
		t.Errorf("flush %v, hijack passed through %v", flushed.Load(), hijackRefused.Load())
	}
	// Without tokens the handler's own caching stands.
	if r := serve(h, httptest.NewRequest("GET", "/", nil)); r.header.Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("anonymous response: %q", r.header.Get("Cache-Control"))
	}
}

// evictionCounter is an observer that also counts evictions.
type evictionCounter struct {
	*events
	n atomic.Int32
}

func (e *evictionCounter) StoreEvicted() { e.n.Add(1) }

// A full in-memory store that drops a live exchange says so: to the
// observer each time, in the log once a minute.
func TestMemoryStoreEvictionReported(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	obs := &evictionCounter{events: w.events}
	logger, logs := logSink()
	cfg := w.headerConfig()
	cfg.Store, cfg.Observer, cfg.Logger = agmigrate.NewMemoryStore(2), obs, logger
	h := w.middleware(cfg).Handler(app)
	for i := 0; i < 5; i++ {
		email := "u" + itoa(i) + "@example.com"
		w.fake.AddUser(authgeartest.User{Email: email})
		serve(h, withLegacyHeader(w.legacyToken(email)))
	}
	if n := obs.n.Load(); n < 3 {
		t.Errorf("%d evictions reported, want at least 3", n)
	}
	if n := strings.Count(logs.String(), "dropped live exchanges"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
}

// Every refresh the library makes carries the browser's User-Agent (the
// session list shows it) and, for SDK-shaped device info, x_device_info
// (without it Authgear clears the session's device name).
func TestRefreshSendsUserAgentAndDeviceInfo(t *testing.T) {
	t.Parallel()
	const safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"
	ios := adminapi.DeviceInfo{"ios": map[string]any{
		"uname":    map[string]any{"machine": "iPhone15,2"},
		"NSBundle": map[string]any{"CFBundleDisplayName": "Test App"},
	}}
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	bob := w.fake.AddUser(authgeartest.User{Email: "bob@example.com"})

	// Both exchanged now (the fake's admin key signs on the real clock).
	h := w.middleware(w.config()).Handler(app)
	first := serve(h, withLegacyCookie(w.legacyToken("alice@example.com")))
	cfg := w.headerConfig()
	cfg.DeviceInfo = func(*http.Request) adminapi.DeviceInfo { return ios }
	hm := w.middleware(cfg).Handler(app)
	tok := w.legacyToken("bob@example.com")
	serve(hm, withLegacyHeader(tok))
	w.clock.Advance(31 * time.Minute)

	// A browser: cookie refresh with its User-Agent.
	req := withRefreshCookie(first.cookies["ag_refresh"].Value)
	req.Header.Set("User-Agent", safari)
	if r := serve(h, req); r.source != "authgear" {
		t.Fatalf("refresh: %s", r.source)
	}
	if s := w.fake.Sessions(alice); len(s) != 1 || s[0].UserAgent != safari || s[0].DisplayName != "Safari 17.0" {
		t.Errorf("after a browser refresh: %+v", s)
	}

	// A mobile client: the stored path's refresh sends its device info.
	if r := serve(hm, withLegacyHeader(tok)); r.source != "exchanged" {
		t.Fatalf("reuse: %s %v", r.source, w.events.l[len(w.events.l)-1].Err)
	}
	s := w.fake.Sessions(bob)
	if len(s) != 1 || s[0].Refreshes != 1 || s[0].DisplayName != "iPhone 14 Pro" || s[0].ApplicationName != "Test App" {
		t.Errorf("after the stored path's refresh: %+v", s)
	}
}

// FuzzRefreshTokenShape: the shape check never panics, and what it lets
// through has the shape of "<uuid>.<random>".
func FuzzRefreshTokenShape(f *testing.F) {
	f.Add("0b5c1a9e-3f0d-4c55-9d37-6a1f2b3c4d5e.Ms3VD8pTuSwNfEt6Kt3dbLAhBX3D0M3f")
	f.Add("junk")
	f.Add("0b5c1a9e-3f0d-4c55-9d37-6a1f2b3c4d5e.")
	f.Add("0b5c1a9e-3f0d-4c55-9d37-6a1f2b3c4d5e.a\x00b")
	f.Fuzz(func(t *testing.T, rt string) {
		if !agmigrate.LooksLikeRefreshToken(rt) {
			return
		}
		gid, secret, ok := strings.Cut(rt, ".")
		if !ok || len(gid) != 36 || strings.Count(gid, "-") != 4 || len(secret) < 16 || strings.ContainsAny(secret, ".\x00 ;,\"") {
			t.Fatalf("accepted %q", rt)
		}
	})
}
