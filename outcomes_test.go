package agmigrate_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

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
