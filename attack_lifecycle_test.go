package agmigrate_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
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

// gatedTransport holds every createSession call until release is closed,
// after telling entered: the test decides what happens meanwhile.
type gatedTransport struct {
	entered chan struct{}
	release chan struct{}
	once    *sync.Once
}

func (g gatedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte("createSession")) {
			g.once.Do(func() { close(g.entered) })
			<-g.release
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// The only request of a new legacy token gives up while its session is
// being created (the browser navigated away). The session is made all the
// same; exactly one request must still report it exchanged, or the
// migrated-users count misses this user.
func TestAttackAbandonedExchangeCountedOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	g := gatedTransport{entered: make(chan struct{}), release: make(chan struct{}), once: &sync.Once{}}
	admin, err := adminapi.New(adminapi.Config{Endpoint: w.fake.URL, ProjectID: w.fake.ProjectID(), Key: w.fake.AdminKey(),
		HTTPClient: &http.Client{Transport: g}})
	if err != nil {
		t.Fatal(err)
	}
	made := make(chan struct{})
	cfg := w.headerConfig()
	cfg.Admin = admin
	cfg.OnExchanged = func(context.Context, *verifier.LegacyIdentity, string) { close(made) }
	h := w.middleware(cfg).Handler(app)
	tok := w.legacyToken("alice@example.com")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan served)
	go func() { done <- serve(h, withLegacyHeader(tok).WithContext(ctx)) }()
	<-g.entered
	cancel()
	if r := <-done; r.source == "exchanged" {
		t.Fatalf("the abandoned request was served %s", r.source)
	}
	close(g.release)
	<-made
	for i := 0; i < 3; i++ {
		if r := serve(h, withLegacyHeader(tok)); r.source != "exchanged" || r.user != alice {
			t.Fatalf("request %d after the abandoned one: %s %s", i, r.source, r.body)
		}
	}
	if n := w.fake.SessionCount(alice); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
	if n := w.events.count(agmigrate.OutcomeExchanged); n != 1 {
		t.Errorf("%d requests reported exchanged, want exactly 1 (reused %d, joined %d)", n,
			w.events.count(agmigrate.OutcomeExchangeReused), w.events.count(agmigrate.OutcomeExchangeJoined))
	}
}

// Three replicas sharing a store with a lock: N concurrent requests for one
// new token make one session and exactly one exchanged outcome; the others
// joined or reused it.
func TestAttackExactCountsAcrossReplicas(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	cfg := w.headerConfig()
	cfg.Store = newFlakyStore()
	var replicas []http.Handler
	for i := 0; i < 3; i++ {
		replicas = append(replicas, w.middleware(cfg).Handler(app))
	}
	tok := w.legacyToken("alice@example.com")
	const n = 60
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if r := serve(replicas[i%3], withLegacyHeader(tok)); r.source != "exchanged" {
				t.Errorf("request %d: %s", i, r.source)
			}
		}(i)
	}
	wg.Wait()
	ex, joined, reused := w.events.count(agmigrate.OutcomeExchanged), w.events.count(agmigrate.OutcomeExchangeJoined), w.events.count(agmigrate.OutcomeExchangeReused)
	if ex != 1 || ex+joined+reused != n {
		t.Errorf("exchanged %d, joined %d, reused %d; want exactly one exchanged of %d", ex, joined, reused, n)
	}
	if s := w.fake.SessionCount(alice); s != 1 {
		t.Errorf("%d sessions, want 1", s)
	}
}

// Authgear ends the session; the same legacy token then arrives at the
// replica that made the session, at one that had reused it (its local
// memory primed), and at one that never saw it, before and after the
// stored access token expired and after the user is enabled again: none
// may mint a session, all answer 401 "sign in again".
func TestAttackEndedSessionOnEveryReplica(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		clients []authgeartest.Client
		end     func(t *testing.T, w *world, user string)
	}{
		{"user disabled", nil, func(t *testing.T, w *world, user string) {
			if err := w.fake.SetDisabledStatus(user, true, "test"); err != nil {
				t.Fatal(err)
			}
		}},
		{"all sessions revoked", nil, func(t *testing.T, w *world, user string) {
			w.fake.RevokeAllSessions(user)
		}},
		{"the session revoked", nil, func(t *testing.T, w *world, user string) {
			for _, s := range w.fake.Sessions(user) {
				w.fake.RevokeSession(s.ID)
			}
		}},
		{"refresh token expired", []authgeartest.Client{{ID: "test-client", RefreshTokenLifetime: 4 * time.Minute}},
			func(*testing.T, *world, string) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, authgeartest.Options{Clients: tc.clients})
			alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
			cfg := w.headerConfig()
			cfg.Store = newFlakyStore()
			var rs []http.Handler
			for i := 0; i < 3; i++ {
				rs = append(rs, w.middleware(cfg).Handler(app))
			}
			tok := w.legacyToken("alice@example.com")
			if r := serve(rs[0], withLegacyHeader(tok)); r.source != "exchanged" {
				t.Fatalf("first: %s", r.source)
			}
			if r := serve(rs[1], withLegacyHeader(tok)); r.source != "exchanged" {
				t.Fatalf("reuse on another replica: %s", r.source)
			}
			tc.end(t, w, alice)
			check := func(phase string, order ...int) {
				t.Helper()
				for _, i := range order {
					r := serve(rs[i], withLegacyHeader(tok))
					if r.status != 401 || !strings.Contains(r.body, "sign in again") {
						t.Errorf("%s, replica %d: %d %s %s", phase, i, r.status, r.source, r.body)
					}
				}
			}
			w.clock.Advance(6 * time.Minute) // past RevalidateAfter, access token still valid
			check("access token valid", 1, 2, 0)
			_ = w.fake.SetDisabledStatus(alice, false, "")
			w.clock.Advance(31 * time.Minute) // the stored access token has expired
			check("access token expired, user enabled", 2, 1, 0)
			if c := w.fake.Calls("createSession"); c != 1 {
				t.Errorf("%d createSession calls, want 1", c)
			}
			if n := w.fake.SessionCount(alice); n != 0 && tc.clients == nil {
				t.Errorf("%d sessions left, want 0", n)
			}
		})
	}
}

// With rotation on, the browser's refresh on one replica rotates the
// refresh token; the legacy token then presented on another replica whose
// local memory holds the exchange (and its head) leads to the live
// session, never to a second one, and what it gets works.
func TestAttackRotationThenOtherReplica(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "test-client", RotateRefreshTokens: true}}})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	cfg := w.config()
	cfg.Store = newFlakyStore()
	cfg.RevalidateAfter = -1 // only the browser's refresh rotates
	cfg.LegacyToken = agmigrate.ExtractorFunc(func(r *http.Request) string {
		if c, err := r.Cookie("legacy_session"); err == nil {
			return c.Value
		}
		return r.Header.Get("X-Legacy-Token")
	})
	cfg.Delivery = agmigrate.Both(agmigrate.Cookies{InsecureAllowHTTP: true}, agmigrate.Headers{})
	a, b := w.middleware(cfg).Handler(app), w.middleware(cfg).Handler(app)
	tok := w.legacyToken("alice@example.com")
	first := serve(a, withLegacyCookie(tok))
	if r := serve(b, withLegacyHeader(tok)); r.source != "exchanged" { // b's local memory now holds it
		t.Fatalf("b: %s", r.source)
	}
	w.clock.Advance(31 * time.Minute)
	renewed := serve(a, cookieRequest(first, "ag_refresh"))
	if renewed.source != "authgear" || renewed.cookies["ag_refresh"].Value == first.cookies["ag_refresh"].Value {
		t.Fatalf("cookie refresh on a: %s", renewed.source)
	}
	w.clock.Advance(31 * time.Minute)
	again := serve(b, withLegacyHeader(tok))
	if again.source != "exchanged" || again.user != alice {
		t.Fatalf("legacy token on b after the rotation on a: %d %s %s", again.status, again.source, again.body)
	}
	if n, c := w.fake.SessionCount(alice), w.fake.Calls("createSession"); n != 1 || c != 1 {
		t.Fatalf("%d sessions, %d createSession calls; want 1 and 1", n, c)
	}
	w.clock.Advance(31 * time.Minute)
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "ag_refresh", Value: again.header.Get("X-Authgear-Refresh-Token")})
	if r := serve(a, req); r.source != "authgear" || r.user != alice {
		t.Errorf("the refresh token b handed out: %s", r.source)
	}
}

// createSession's answer is lost after Authgear committed it (a proxy's
// 502 or a dropped connection), on every call: the session may exist, so
// the same legacy token must not call createSession again on each of its
// next requests (each would leave one more orphan session in the user's
// list); it is tried again after the breaker's cool-down.
func TestAttackAmbiguousCreateSessionNotRepeatedPerRequest(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	w.fake.SetFault("createSession", authgeartest.Fault{AfterCommit: true, Drop: true})
	cfg := w.headerConfig()
	cfg.BreakerThreshold = 100 // the breaker is not what stops it
	h := w.middleware(cfg).Handler(app)
	tok := w.legacyToken("alice@example.com")
	for i := 0; i < 5; i++ {
		if r := serve(h, withLegacyHeader(tok)); r.source != "legacy" {
			t.Fatalf("request %d: %s", i, r.source)
		}
	}
	if n, c := w.fake.SessionCount(alice), w.fake.Calls("createSession"); n != 1 || c != 1 {
		t.Errorf("%d sessions, %d createSession calls for 5 requests after lost answers; want 1 and 1", n, c)
	}
	w.fake.ClearFault("createSession")
	w.clock.Advance(31 * time.Second)
	if r := serve(h, withLegacyHeader(tok)); r.source != "exchanged" {
		t.Errorf("after the cool-down: %s", r.source)
	}
}

// With the shared store down, local memory is all a replica has: a full
// local memory that drops a live exchange made during the outage (the
// token will make another session on this replica) must say so, as a full
// in-memory store does.
func TestAttackLocalMemoryEvictionReported(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	obs := &evictionCounter{events: w.events}
	logger, logs := logSink()
	cfg := w.headerConfig()
	cfg.Store, cfg.LocalMemory, cfg.Observer, cfg.Logger = &downStore{}, 4, obs, logger
	h := w.middleware(cfg).Handler(app)
	for i := 0; i < 6; i++ {
		email := "u" + itoa(i) + "@example.com"
		w.fake.AddUser(authgeartest.User{Email: email})
		if r := serve(h, withLegacyHeader(w.legacyToken(email))); r.source != "exchanged" {
			t.Fatalf("user %d: %s", i, r.source)
		}
	}
	if obs.n.Load() == 0 {
		t.Error("live exchanges dropped from local memory during an outage were not reported")
	}
	if !strings.Contains(logs.String(), "local memory") {
		t.Errorf("not logged:\n%s", logs.String())
	}
}

// An Authgear cookie session that cannot be checked now (opaque access
// tokens, Authgear's userinfo failing) is, like one that cannot be
// refreshed now, no reason to answer 503 on a page that can be served
// anonymously (RefreshFailurePolicy FailOpen, the default).
func TestAttackUncheckableCookieOnPublicPage(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "test-client", OpaqueAccessTokens: true}}})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	ag, err := verifier.NewAuthgear(context.Background(), verifier.AuthgearConfig{Endpoint: w.fake.URL, Now: w.clock.Now,
		OpaqueTokens: true, ClientIDs: []string{"test-client"}, UnsafeOpaqueTokensAnyClient: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ag.Close)
	cfg := w.config()
	cfg.Authgear = ag
	h := w.middleware(cfg).Handler(app)
	first := serve(h, withLegacyCookie(w.legacyToken("alice@example.com")))
	if first.source != "exchanged" {
		t.Fatalf("first: %s %s", first.source, first.body)
	}
	w.clock.Advance(time.Minute) // past the verifier's cache of the opaque token
	w.fake.SetFault("userinfo", authgeartest.Fault{Status: 503})
	r := serve(h, cookieRequest(first, "ag_access", "ag_refresh"))
	if r.status != 200 {
		t.Errorf("public page with an Authgear cookie that cannot be checked now: %d %s", r.status, r.body)
	}
	if c := r.cookies["ag_access"]; c != nil && c.MaxAge < 0 {
		t.Error("the session's cookies were cleared for a passing failure")
	}
	cfg.RequireAuth = true
	if r := serve(w.middleware(cfg).Handler(app), cookieRequest(first, "ag_access", "ag_refresh")); r.status != 503 {
		t.Errorf("with RequireAuth: %d, want 503", r.status)
	}
}

// The app ends a legacy token (its legacy logout calls EndLegacySession)
// while a parallel request with the same token is in the middle of its
// exchange: the exchange finishing afterwards must not write over the
// tombstone and bring the token back to life.
func TestAttackEndDuringExchange(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	g := gatedTransport{entered: make(chan struct{}), release: make(chan struct{}), once: &sync.Once{}}
	admin, err := adminapi.New(adminapi.Config{Endpoint: w.fake.URL, ProjectID: w.fake.ProjectID(), Key: w.fake.AdminKey(),
		HTTPClient: &http.Client{Transport: g}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := w.headerConfig()
	cfg.Admin = admin
	m := w.middleware(cfg)
	h := m.Handler(app)
	tok := w.legacyToken("alice@example.com")
	done := make(chan served)
	go func() { done <- serve(h, withLegacyHeader(tok)) }()
	<-g.entered
	m.EndLegacySession(context.Background(), tok)
	close(g.release)
	if r := <-done; r.source == "exchanged" {
		t.Errorf("the request racing the legacy logout was handed the session")
	}
	if r := serve(h, withLegacyHeader(tok)); r.status != 401 {
		t.Errorf("after EndLegacySession: %d %s", r.status, r.source)
	}
	if c := w.fake.Calls("createSession"); c != 1 {
		t.Errorf("%d createSession calls, want 1", c)
	}
}
