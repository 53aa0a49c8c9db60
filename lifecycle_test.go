package agmigrate_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
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

// downStore is a shared store that fails every call, as Redis does when
// it is stopped.
type downStore struct {
	mu    sync.Mutex
	calls int
}

var errDown = errors.New("test: store down")

func (d *downStore) count() { d.mu.Lock(); d.calls++; d.mu.Unlock() }
func (d *downStore) Get(context.Context, string) ([]byte, error) {
	d.count()
	return nil, errDown
}
func (d *downStore) Put(context.Context, string, []byte, time.Duration) error {
	d.count()
	return errDown
}
func (d *downStore) TryLock(context.Context, string, time.Duration) (func(context.Context), bool, error) {
	d.count()
	return nil, false, errDown
}

// countingStore is a shared store in another process: it counts the
// round trips it is asked for.
type countingStore struct {
	*agmigrate.MemoryStore
	mu   sync.Mutex
	gets int
}

func (c *countingStore) Get(ctx context.Context, k string) ([]byte, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.MemoryStore.Get(ctx, k)
}

func (c *countingStore) Gets() int { c.mu.Lock(); defer c.mu.Unlock(); return c.gets }

// flakyStore is a shared store with a lock, like redisstore, that can be
// stopped (every call fails) and restarted empty.
type flakyStore struct {
	mu    sync.Mutex
	down  bool
	mem   *agmigrate.MemoryStore
	locks map[string]bool
}

func newFlakyStore() *flakyStore {
	return &flakyStore{mem: agmigrate.NewMemoryStore(1000), locks: map[string]bool{}}
}

func (f *flakyStore) set(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
	if !down {
		f.mem, f.locks = agmigrate.NewMemoryStore(1000), map[string]bool{} // restarted empty
	}
}

func (f *flakyStore) Get(ctx context.Context, k string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errDown
	}
	return f.mem.Get(ctx, k)
}

func (f *flakyStore) Put(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	return f.mem.Put(ctx, k, v, ttl)
}

func (f *flakyStore) TryLock(_ context.Context, k string, _ time.Duration) (func(context.Context), bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, false, errDown
	}
	if f.locks[k] {
		return nil, false, nil
	}
	f.locks[k] = true
	locks := f.locks
	return func(context.Context) { f.mu.Lock(); delete(locks, k); f.mu.Unlock() }, true, nil
}

// With the shared store down, each replica makes at most one session per
// legacy token, however the requests are spread in time; when the store
// comes back (empty), no replica makes another.
func TestSharedStoreDownOneSessionPerReplica(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	st := newFlakyStore()
	st.set(true)
	cfg := w.headerConfig()
	cfg.Store = st
	var replicas []http.Handler
	for i := 0; i < 3; i++ {
		replicas = append(replicas, w.middleware(cfg).Handler(app))
	}
	tok := w.legacyToken("alice@example.com")
	round := func(phase string) {
		for i := 0; i < 30; i++ {
			if r := serve(replicas[i%3], withLegacyHeader(tok)); r.status != 200 || r.source != "exchanged" {
				t.Fatalf("%s, request %d: %d %s", phase, i, r.status, r.source)
			}
			w.clock.Advance(time.Duration(i%7) * time.Second) // some within the freshness window, some past it
		}
	}
	round("store down")
	if n := w.fake.SessionCount(alice); n < 1 || n > 3 {
		t.Fatalf("%d sessions from 3 replicas with the shared store down, want at most 3", n)
	}
	during := w.fake.SessionCount(alice)
	st.set(false)
	round("store back")
	if n := w.fake.SessionCount(alice); n != during {
		t.Errorf("%d sessions after the store came back, had %d", n, during)
	}
	// A single replica: exactly one.
	w2 := newWorld(t, authgeartest.Options{})
	bob := w2.fake.AddUser(authgeartest.User{Email: "bob@example.com"})
	cfg2 := w2.headerConfig()
	cfg2.Store = &downStore{}
	h := w2.middleware(cfg2).Handler(app)
	tok2 := w2.legacyToken("bob@example.com")
	for i := 0; i < 20; i++ {
		serve(h, withLegacyHeader(tok2))
		w2.clock.Advance(7 * time.Second)
	}
	if n := w2.fake.SessionCount(bob); n != 1 {
		t.Errorf("%d sessions from one replica with the shared store down, want 1", n)
	}
}

// A repeat hit within the freshness window is answered from local memory:
// no round trip to the shared store.
func TestLocalMemorySkipsRoundTrip(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	st := &countingStore{MemoryStore: agmigrate.NewMemoryStore(100)}
	cfg := w.headerConfig()
	cfg.Store = st
	h := w.middleware(cfg).Handler(app)
	tok := w.legacyToken("alice@example.com")
	serve(h, withLegacyHeader(tok))
	before := st.Gets()
	for i := 0; i < 10; i++ {
		if r := serve(h, withLegacyHeader(tok)); r.source != "exchanged" {
			t.Fatalf("repeat %d: %s", i, r.source)
		}
	}
	if n := st.Gets() - before; n != 0 {
		t.Errorf("%d shared-store reads for 10 repeat hits, want 0", n)
	}
	// Past the window, the shared store is asked again (another replica
	// may have ended the session).
	w.clock.Advance(6 * time.Second)
	serve(h, withLegacyHeader(tok))
	if st.Gets() == before {
		t.Error("the shared store was never asked again")
	}
}

// A legacy token inside its expiry leeway (exp passed, still accepted) is
// remembered like any other: one session, not one per request.
func TestTokenInsideLeewayRemembered(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	h := w.middleware(w.headerConfig()).Handler(app)
	tok := w.legacyTokenExp("alice@example.com", w.clock.Now().Add(-10*time.Second))
	for i := 0; i < 3; i++ {
		if r := serve(h, withLegacyHeader(tok)); r.source != "exchanged" {
			t.Fatalf("request %d: %d %s %s", i, r.status, r.source, r.body)
		}
	}
	if n := w.fake.SessionCount(alice); n != 1 {
		t.Errorf("%d sessions for a token inside its leeway, want 1", n)
	}
}

// A new session whose access token does not verify (the Admin API reached
// under another host) is remembered: no second createSession for that
// token, exchanges pause for the cool-down (logged once), and afterwards
// the same session is renewed at the public token endpoint, which makes it
// usable.
func TestUnusableSessionRememberedAndLatched(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{AdminListener: true})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	w.fake.AddUser(authgeartest.User{Email: "bob@example.com"})
	// The wrong setup: the admin listener's own host, so tokens carry it.
	admin, err := adminapi.New(adminapi.Config{Endpoint: w.fake.AdminURL(), ProjectID: w.fake.ProjectID(), Key: w.fake.AdminKey()})
	if err != nil {
		t.Fatal(err)
	}
	logger, logs := logSink()
	cfg := w.headerConfig()
	cfg.Admin, cfg.Logger = admin, logger
	h := w.middleware(cfg).Handler(app)
	tok := w.legacyToken("alice@example.com")
	for i := 0; i < 5; i++ {
		if r := serve(h, withLegacyHeader(tok)); r.source != "legacy" {
			t.Fatalf("request %d: %s", i, r.source)
		}
	}
	serve(h, withLegacyHeader(w.legacyToken("bob@example.com")))
	if n := w.fake.Calls("createSession"); n != 1 {
		t.Errorf("%d createSession calls, want 1", n)
	}
	if n := strings.Count(logs.String(), "setup problem"); n != 1 {
		t.Errorf("the setup problem was logged %d times, want once:\n%s", n, logs.String())
	}
	if w.events.count(agmigrate.OutcomeAdminError) != 6 {
		t.Errorf("%d admin errors", w.events.count(agmigrate.OutcomeAdminError))
	}
	w.clock.Advance(31 * time.Second)
	r := serve(h, withLegacyHeader(tok))
	if r.source != "exchanged" || r.user != alice {
		t.Fatalf("after the cool-down: %s %s", r.source, r.body)
	}
	if n := w.fake.SessionCount(alice); n != 1 || w.fake.Calls("createSession") != 1 {
		t.Errorf("%d sessions, %d createSession calls; want 1 and 1", n, w.fake.Calls("createSession"))
	}
	if w.events.count(agmigrate.OutcomeExchanged) != 1 {
		t.Errorf("%d exchanged outcomes, want 1", w.events.count(agmigrate.OutcomeExchanged))
	}
}

// A setup error (createSession switched off) pauses exchanges for the
// cool-down: 45 requests make one createSession call, one log line.
func TestSetupErrorLatchesBackOff(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	for i := 0; i < 45; i++ {
		w.fake.AddUser(authgeartest.User{Email: "u" + itoa(i) + "@example.com"})
	}
	w.fake.SetCreateSessionEnabled(false)
	logger, logs := logSink()
	cfg := w.headerConfig()
	cfg.Logger = logger
	h := w.middleware(cfg).Handler(app)
	for i := 0; i < 45; i++ {
		if r := serve(h, withLegacyHeader(w.legacyToken("u"+itoa(i)+"@example.com"))); r.source != "legacy" {
			t.Fatalf("request %d: %s", i, r.source)
		}
	}
	if n := w.fake.Calls("graphql"); n > 2 {
		t.Errorf("%d GraphQL calls for 45 requests with createSession off, want 2", n)
	}
	if n := strings.Count(logs.String(), "setup problem"); n != 1 {
		t.Errorf("logged %d times, want once", n)
	}
	w.fake.SetCreateSessionEnabled(true)
	w.clock.Advance(31 * time.Second)
	if r := serve(h, withLegacyHeader(w.legacyToken("u0@example.com"))); r.source != "exchanged" {
		t.Errorf("after the cool-down: %s", r.source)
	}
}

// gateway answers createSession with a bare 502 after Authgear committed
// it, as a proxy that lost the answer does.
type gateway struct{ base http.RoundTripper }

func (g gateway) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := g.base.RoundTrip(r)
	if err != nil || !bytes.Contains(body, []byte("createSession")) {
		return resp, err
	}
	resp.Body.Close()
	return &http.Response{StatusCode: http.StatusBadGateway, Header: http.Header{"Content-Type": {"text/html"}},
		Body: io.NopCloser(strings.NewReader("<html>502 Bad Gateway</html>")), Request: r}, nil
}

// createSession is retried only when no session can exist: never after a
// gateway's 502 or a lost answer, and after Authgear's own error answer.
func TestCreateSessionRetriedOnlyWhenNoSessionExists(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		setup        func(w *world, cfg *agmigrate.Config)
		calls, sess  int // GraphQL calls (one lookup, then createSession), sessions
		wantExchange bool
	}{
		{"gateway 502 after commit", func(w *world, cfg *agmigrate.Config) {
			admin, err := adminapi.New(adminapi.Config{Endpoint: w.fake.URL, ProjectID: w.fake.ProjectID(), Key: w.fake.AdminKey(),
				HTTPClient: &http.Client{Transport: gateway{http.DefaultTransport}}})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Admin = admin
		}, 2, 1, false},
		{"connection lost after commit", func(w *world, _ *agmigrate.Config) {
			w.fake.SetFault("createSession", authgeartest.Fault{AfterCommit: true, Drop: true, Times: 1})
		}, 2, 1, false},
		{"Authgear's own error answer", func(w *world, _ *agmigrate.Config) {
			w.fake.SetFault("createSession", authgeartest.Fault{Status: 503, Times: 1})
		}, 3, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, authgeartest.Options{})
			alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
			cfg := w.headerConfig()
			cfg.Retries = 2
			tc.setup(w, &cfg)
			r := serve(w.middleware(cfg).Handler(app), withLegacyHeader(w.legacyToken("alice@example.com")))
			if (r.source == "exchanged") != tc.wantExchange {
				t.Errorf("served %s", r.source)
			}
			if n := w.fake.Calls("graphql"); n != tc.calls {
				t.Errorf("%d GraphQL calls, want %d", n, tc.calls)
			}
			if n := w.fake.SessionCount(alice); n != tc.sess {
				t.Errorf("%d sessions, want %d", n, tc.sess)
			}
		})
	}
}

// Concurrent callers of one exchange: exactly one is told it created the
// session, the others that they joined it.
func TestExactlyOneCreated(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	// A slow lookup, so that callers join the flight (the count must hold
	// however many do).
	w.fake.SetFault("getUserByLoginID", authgeartest.Fault{Latency: 300 * time.Millisecond, Times: 1})
	m := w.middleware(w.config())
	tok := w.legacyToken("alice@example.com")
	id, err := w.legacy.VerifyLegacy(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	results := make([]*agmigrate.ExchangeResult, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := m.Exchanger().Exchange(context.Background(), tok, id, nil)
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = res
		}(i)
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		if r != nil && r.Created {
			created++
		}
		if r != nil && !r.Created && !r.Joined && !r.Reused {
			t.Error("a caller that did not create the session is neither joined nor reused")
		}
	}
	if created != 1 {
		t.Errorf("%d callers told they created the session, want exactly 1", created)
	}
	if again, err := m.Exchanger().Exchange(context.Background(), tok, id, nil); err != nil || again.Created || !again.Reused {
		t.Errorf("a later call: %+v %v", again, err)
	}
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

// Replicas sharing a healthy store with a lock: concurrent requests for one
// new token on all of them make one session (a replica that waited for
// another's exchange reads its result, not a remembered absence).
func TestReplicasShareOneExchange(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	w.fake.SetFault("createSession", authgeartest.Fault{Latency: 50 * time.Millisecond, Times: 1})
	cfg := w.headerConfig()
	cfg.Store = newFlakyStore()
	var replicas []http.Handler
	for i := 0; i < 3; i++ {
		replicas = append(replicas, w.middleware(cfg).Handler(app))
	}
	tok := w.legacyToken("alice@example.com")
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if r := serve(replicas[i%3], withLegacyHeader(tok)); r.source != "exchanged" {
				t.Errorf("request %d: %s", i, r.source)
			}
		}(i)
	}
	wg.Wait()
	if n := w.fake.SessionCount(alice); n != 1 {
		t.Errorf("%d sessions from 3 replicas sharing a store, want 1", n)
	}
}
