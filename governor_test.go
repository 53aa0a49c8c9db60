package agmigrate_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// heldTransport holds every Admin API request until released, and
// records the most requests it saw at once.
type heldTransport struct {
	release chan struct{}
	entered chan struct{}
	now     atomic.Int64
	most    atomic.Int64
}

func (h *heldTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	n := h.now.Add(1)
	for m := h.most.Load(); n > m && !h.most.CompareAndSwap(m, n); m = h.most.Load() {
	}
	defer h.now.Add(-1)
	h.entered <- struct{}{}
	<-h.release
	return http.DefaultTransport.RoundTrip(r)
}

func heldAdmin(t *testing.T, fake *authgeartest.Server) (*adminapi.Client, *heldTransport) {
	ht := &heldTransport{release: make(chan struct{}), entered: make(chan struct{}, 64)}
	admin, err := adminapi.New(adminapi.Config{Endpoint: fake.URL, ProjectID: fake.ProjectID(), Key: fake.AdminKey(),
		HTTPClient: &http.Client{Transport: ht}})
	if err != nil {
		t.Fatal(err)
	}
	return admin, ht
}

// until spins until cond holds: the state it waits for is reached by
// other goroutines without a channel to tell. It fails the test after a
// generous minute (a hang, not a timing).
func until(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("the awaited state never came")
		}
		runtime.Gosched()
	}
}

// forLogin returns the events of the requests of one login ID.
func (e *events) forLogin(loginID string) []agmigrate.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []agmigrate.Event
	for _, ev := range e.l {
		if ev.LoginID == loginID {
			out = append(out, ev)
		}
	}
	return out
}

// Exchanges in flight are bounded per process; a few wait; beyond the
// queue a request is served at once under the failure policy, without a
// call to Authgear, and exchanged on a later request.
func TestExchangesInFlightBounded(t *testing.T) {
	t.Parallel()
	for _, policy := range []agmigrate.FailurePolicy{agmigrate.FailOpen, agmigrate.FailClosed} {
		w := newWorld(t, authgeartest.Options{})
		emails := []string{"u1@example.com", "u2@example.com", "u3@example.com", "u4@example.com"}
		for _, e := range emails {
			w.fake.AddUser(authgeartest.User{Email: e})
		}
		cfg := w.config()
		admin, held := heldAdmin(t, w.fake)
		cfg.Admin, cfg.MaxExchanges, cfg.ExchangeQueue, cfg.QueueWait, cfg.FailurePolicy = admin, 2, 1, time.Minute, policy
		m := w.middleware(cfg)
		h := m.Handler(app)
		toks := map[string]string{}
		for _, e := range emails {
			toks[e] = w.legacyToken(e)
		}
		answers := make(chan served, 3)
		for _, e := range emails[:2] {
			go func() { answers <- serve(h, withLegacyCookie(toks[e])) }()
		}
		for range 2 { // two exchanges at Authgear
			select {
			case <-held.entered:
			case <-time.After(time.Minute): // a guard against a hang, not a timing
				t.Fatal("the exchanges did not reach Authgear")
			}
		}
		go func() { answers <- serve(h, withLegacyCookie(toks[emails[2]])) }()
		until(t, func() bool { return m.Governor().Stats().Queued == 1 }) // the third waits in the queue
		// The queue is full: the fourth is answered now.
		fourth := serve(h, withLegacyCookie(toks[emails[3]]))
		switch {
		case policy == agmigrate.FailOpen && (fourth.status != 200 || fourth.source != "legacy"):
			t.Errorf("fail open: the fourth got %d %s", fourth.status, fourth.source)
		case policy == agmigrate.FailClosed && (fourth.status != 503 || fourth.header.Get("Retry-After") == ""):
			t.Errorf("fail closed: the fourth got %d, Retry-After %q", fourth.status, fourth.header.Get("Retry-After"))
		}
		if ev := w.events.forLogin(emails[3]); len(ev) != 1 || ev[0].Outcome != agmigrate.OutcomeThrottled || !ev[0].Throttled ||
			!errors.Is(ev[0].Err, agmigrate.ErrThrottled) {
			t.Errorf("the fourth's event: %+v", ev)
		}
		close(held.release)
		for range 3 {
			if a := <-answers; a.source != "exchanged" {
				t.Errorf("a waiting request: %d %s", a.status, a.source)
			}
		}
		if most := held.most.Load(); most > 2 {
			t.Errorf("%d Admin API calls at once, bound 2", most)
		}
		if w.fake.SessionCount("") != 3 {
			t.Errorf("%d sessions, want 3 (none for the throttled)", w.fake.SessionCount(""))
		}
		// Later, the throttled user is exchanged.
		if again := serve(h, withLegacyCookie(toks[emails[3]])); again.source != "exchanged" {
			t.Errorf("the throttled user later: %s", again.source)
		}
		if st := m.Governor().Stats(); st.Throttled != 1 || st.InFlight != 0 || st.Queued != 0 {
			t.Errorf("stats %+v", st)
		}
	}
}

// The Admin API budget in one process, on the configured clock: a burst,
// then one createSession per interval; a user over it is throttled (never
// a breaker failure) and exchanged once the budget has room.
func TestAdminBudgetLocal(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	cfg := w.config()
	cfg.AdminBudget = agmigrate.Budget{PerMinute: 2, Burst: 2}
	cfg.QueueWait = time.Nanosecond // no waiting for the budget: the clock is the test's
	cfg.BreakerThreshold, cfg.BreakerCoolDown = 1, time.Hour
	h := w.middleware(cfg).Handler(app)
	var toks []string
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		w.fake.AddUser(authgeartest.User{Email: e})
		toks = append(toks, w.legacyToken(e))
	}
	var sources []string
	for _, tok := range toks {
		sources = append(sources, serve(h, withLegacyCookie(tok)).source)
	}
	if sources[0] != "exchanged" || sources[1] != "exchanged" || sources[2] != "legacy" {
		t.Fatalf("sources %v", sources)
	}
	if n, l := w.fake.Calls("createSession"), w.fake.Calls("getUserByLoginID"); n != 2 || l != 2 {
		t.Errorf("%d createSession calls and %d lookups, want 2 each: a throttled user costs Authgear nothing", n, l)
	}
	if w.events.count(agmigrate.OutcomeThrottled) != 1 {
		t.Errorf("%d throttled outcomes", w.events.count(agmigrate.OutcomeThrottled))
	}
	w.clock.Advance(30 * time.Second) // one interval
	if again := serve(h, withLegacyCookie(toks[2])); again.source != "exchanged" {
		t.Errorf("after an interval: %s (a throttle must not open the breaker)", again.source)
	}
}

// An Authgear 429 to createSession (the GraphQL TooManyRequest of a
// mutation bucket, or HTTP 429 from a gateway): no retry, not a breaker
// failure, the budget paused for the back-off, the user served as legacy
// and exchanged later.
func TestAdmin429PausesBudget(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		fault   func(*authgeartest.Server)
		counted int // createSession calls the fake counts for the refused one
	}{
		{"graphql TooManyRequest", func(s *authgeartest.Server) {
			s.SetFault("createSession", authgeartest.Fault{Times: 1, GraphQLError: &authgeartest.GraphQLError{
				Message: "request rate limited", ErrorName: "TooManyRequest", Reason: "RateLimited"}})
		}, 1},
		{"http 429", func(s *authgeartest.Server) {
			s.SetFault("graphql", authgeartest.Fault{After: 1, Times: 1, Status: 429})
		}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, authgeartest.Options{})
			cfg := w.config()
			cfg.BreakerThreshold, cfg.BreakerCoolDown = 1, time.Hour
			cfg.RateLimitBackOff = 10 * time.Second
			cfg.QueueWait = time.Nanosecond
			m := w.middleware(cfg)
			h := m.Handler(app)
			w.fake.AddUser(authgeartest.User{Email: "a@example.com"})
			w.fake.AddUser(authgeartest.User{Email: "b@example.com"})
			ta, tb := w.legacyToken("a@example.com"), w.legacyToken("b@example.com")
			c.fault(w.fake)
			if r := serve(h, withLegacyCookie(ta)); r.status != 200 || r.source != "legacy" {
				t.Fatalf("over Authgear's limit: %d %s", r.status, r.source)
			}
			if n := w.fake.Calls("createSession"); n != c.counted {
				t.Errorf("%d createSession calls: a 429 is not retried", n)
			}
			if st := m.Governor().Stats(); st.RateLimited != 1 {
				t.Errorf("stats %+v", st)
			}
			// Paused: the next user's createSession waits for the back-off.
			if r := serve(h, withLegacyCookie(tb)); r.source != "legacy" || w.fake.Calls("createSession") != c.counted {
				t.Errorf("during the pause: %s, %d createSession calls", r.source, w.fake.Calls("createSession"))
			}
			w.clock.Advance(10 * time.Second)
			for _, tok := range []string{ta, tb} {
				if r := serve(h, withLegacyCookie(tok)); r.source != "exchanged" {
					t.Errorf("after the pause: %s (breaker opened?)", r.source)
				}
			}
			if n := w.events.count(agmigrate.OutcomeThrottled); n != 2 {
				t.Errorf("%d throttled outcomes, want 2", n)
			}
			if n := w.fake.SessionCount(""); n != 2 {
				t.Errorf("%d sessions, want 2", n)
			}
		})
	}
}

// A 429 at the token endpoint never logs the user out: the cookies stay,
// the request goes on (anonymous here), the budget pauses, and the
// refresh runs on a later request. A still-valid access token is served.
func TestToken429KeepsTheSession(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	cfg := w.config()
	cfg.RateLimitBackOff = 5 * time.Second
	cfg.QueueWait = time.Nanosecond
	m := w.middleware(cfg)
	h := m.Handler(app)
	w.fake.AddUser(authgeartest.User{Email: "a@example.com"})
	lt := w.legacyToken("a@example.com")
	first := serve(h, withLegacyCookie(lt))
	if first.source != "exchanged" {
		t.Fatal(first.source)
	}

	// The stored exchange is revalidated after 5 minutes; a 429 then
	// leaves the still-valid access token in service.
	w.clock.Advance(6 * time.Minute)
	w.fake.SetFault("token", authgeartest.Fault{Status: 429, Times: 1})
	if r := serve(h, withLegacyCookie(lt)); r.source != "exchanged" {
		t.Errorf("revalidation answered 429: %d %s", r.status, r.source)
	}

	// The access token expired: the cookie path refreshes.
	w.clock.Advance(time.Hour)
	w.fake.SetFault("token", authgeartest.Fault{Status: 429, Times: 1})
	calls := w.fake.Calls("token")
	r := serve(h, cookieRequest(first, "ag_access", "ag_refresh"))
	if r.status != 200 || r.source != "none" {
		t.Errorf("refresh answered 429: %d %s", r.status, r.source)
	}
	if c := r.cookies["ag_refresh"]; c != nil {
		t.Errorf("the refresh cookie was touched: %+v", c)
	}
	ev := w.events.l[len(w.events.l)-1]
	if !ev.Throttled || !errors.Is(ev.Err, agmigrate.ErrThrottled) {
		t.Errorf("event %+v", ev)
	}
	// Paused: no call to Authgear until the back-off has passed.
	if r := serve(h, cookieRequest(first, "ag_access", "ag_refresh")); r.source != "none" || w.fake.Calls("token") != calls+1 {
		t.Errorf("during the pause: %s, %d token calls", r.source, w.fake.Calls("token")-calls)
	}
	w.clock.Advance(5 * time.Second)
	if r := serve(h, cookieRequest(first, "ag_access", "ag_refresh")); r.source != "authgear" || r.cookies["ag_access"] == nil {
		t.Errorf("after the pause: %s", r.source)
	}
	if n := m.Governor().Stats().RateLimited; n != 2 {
		t.Errorf("%d 429s counted, want 2", n)
	}
}

// Background work waits behind interactive work for the budget and only
// takes calls free now; interactive work over QueueWait is refused.
func TestGovernorWait(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	cfg := w.config()
	cfg.Now = time.Now                                           // real waits
	cfg.AdminBudget = agmigrate.Budget{PerMinute: 600, Burst: 1} // one call per 100 ms
	cfg.QueueWait = 150 * time.Millisecond
	g := w.middleware(cfg).Governor()
	ctx := context.Background()
	if err := g.Wait(ctx, agmigrate.CallAdminMutation, agmigrate.Interactive); err != nil {
		t.Fatal(err)
	}
	// The next interactive call reserves the next slot and waits for it.
	if err := g.Wait(ctx, agmigrate.CallAdminMutation, agmigrate.Interactive); err != nil {
		t.Fatalf("within QueueWait: %v", err)
	}
	// Beyond one reserved ahead, QueueWait is exceeded: refused at once.
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = g.Wait(ctx, agmigrate.CallAdminMutation, agmigrate.Interactive) }()
	}
	wg.Wait()
	refused := 0
	for _, err := range errs {
		var te *agmigrate.ThrottleError
		if errors.As(err, &te) && te.Reason == agmigrate.ReasonBudget && te.Call == agmigrate.CallAdminMutation {
			refused++
		}
	}
	if refused == 0 {
		t.Errorf("no interactive call refused: %v", errs)
	}
	// Background: waits as long as its context lets it, then gives up.
	bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := g.Wait(bctx, agmigrate.CallAdminMutation, agmigrate.Background); err != nil {
		t.Errorf("background: %v", err)
	}
	cctx, cancel2 := context.WithCancel(ctx)
	cancel2()
	g.Pause(ctx, agmigrate.CallAdminMutation, time.Hour)
	if err := g.Wait(cctx, agmigrate.CallAdminMutation, agmigrate.Background); !errors.Is(err, agmigrate.ErrThrottled) || !errors.Is(err, context.Canceled) {
		t.Errorf("background, cancelled during a pause: %v", err)
	}
}

// New refuses budgets it cannot keep.
func TestGovernorConfigRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	for _, f := range []func(*agmigrate.Config){
		func(c *agmigrate.Config) { c.AdminBudget.PerMinute = -1 },
		func(c *agmigrate.Config) { c.TokenBudget.Burst = -1 },
		func(c *agmigrate.Config) { c.QueueWait = -time.Second },
		func(c *agmigrate.Config) { c.Replicas = -2 },
	} {
		cfg := w.config()
		f(&cfg)
		if _, err := agmigrate.New(cfg); !errors.Is(err, agmigrate.ErrConfig) {
			t.Errorf("accepted: %v", err)
		}
	}
}
