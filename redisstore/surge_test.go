package redisstore_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/agmigrate/agmigrate/verifier"
)

// The cut-over surge: every user with a live legacy session arrives at
// once over three replicas sharing one Redis, then, once the access
// tokens have expired, every one of them is refreshed. Authgear (the
// fake) enforces an Admin API mutation budget and its token endpoint's
// per-IP and per-user buckets; the replicas' governors share their
// budgets through Redis. Time is real (the budgets run on Redis's
// clock); a clock offset only ages the tokens between the two phases.

// surgeSize scales one surge.
type surgeSize struct {
	users     int
	perMinute float64 // Authgear's budget for each kind of call
}

// surgeResult is what a surge measured.
type surgeResult struct {
	exchangeWall, refreshWall  time.Duration
	exchangeRounds             int
	refreshRounds              int
	peakAdmin1s, peakToken1s   int // the most calls Authgear saw in any second
	peakAdmin10s, peakToken10s int // … and in any ten seconds
}

// governed is the budget the replicas keep: 80% of Authgear's, with a
// tenth of its burst. The margin absorbs calls that leave a busy process
// late and reach Authgear together (under -race on two busy cores, up to
// a second's worth).
func (s surgeSize) governed() agmigrate.Budget {
	return agmigrate.Budget{PerMinute: s.perMinute * 0.8, Burst: s.authgearBurst() / 10}
}

// authgearBurst is Authgear's bucket size: three seconds' worth. (Its
// token endpoint's buckets hold a whole minute's.)
func (s surgeSize) authgearBurst() int { return max(10, int(s.perMinute/20)) }

// offsetClock is real time plus an offset the test moves forward.
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

var surgeSecret = []byte("surge-legacy-secret-0123456789abcdef")

func surgeLegacyToken(email string, now time.Time) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := enc(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": "https://legacy.example.com", "aud": "web", "email": email, "email_verified": true,
		"iat": now.Unix(), "exp": now.Add(24 * time.Hour).Unix(), "jti": email})
	m := hmac.New(sha256.New, surgeSecret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// surgeEvents counts outcomes and keeps the first unexpected error.
type surgeEvents struct {
	mu       sync.Mutex
	outcomes map[agmigrate.Outcome]int
	errs     []error
}

func (e *surgeEvents) Observe(_ *http.Request, ev agmigrate.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.outcomes[ev.Outcome]++
	if ev.Err != nil && !ev.Throttled && len(e.errs) < 5 {
		e.errs = append(e.errs, ev.Err)
	}
}

func (e *surgeEvents) count(o agmigrate.Outcome) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.outcomes[o]
}

// surgeReplica is one app instance of the surge.
func surgeReplica(tb testing.TB, fake *authgeartest.Server, rs *redisServer, clk *offsetClock, size surgeSize, ev *surgeEvents) http.Handler {
	tb.Helper()
	ctx := context.Background()
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL, Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ag.Close)
	lc := verifier.HS256(surgeSecret, "https://legacy.example.com", "web")
	lc.Now = clk.Now
	lv, err := verifier.NewJWT(ctx, lc)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := redisstore.New(rs.client(), redisstore.Options{OpTimeout: rateOpTimeout, Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	m, err := agmigrate.New(agmigrate.Config{Authgear: ag, Legacy: lv, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"}, Store: st, Observer: ev,
		Delivery: agmigrate.Cookies{InsecureAllowHTTP: true}, Now: clk.Now,
		// Generous for -race on a busy machine: this is about budgets,
		// not speed. A queued user waits at most QueueWait, then is
		// served as legacy and exchanged on a later request.
		ExchangeTimeout: 30 * time.Second, QueueWait: 4 * time.Second, MaxExchanges: 128, BreakerThreshold: 1000,
		AdminBudget: size.governed(), TokenBudget: size.governed(), Replicas: 3})
	if err != nil {
		tb.Fatal(err)
	}
	return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(agmigrate.IdentityFrom(r.Context()).Source.String()))
	}))
}

// surgeUser is one browser: its address, legacy token and, once
// exchanged, its Authgear cookies.
type surgeUser struct {
	id, ip, legacy  string
	access, refresh string
	done            bool
}

// visit sends one request from u to h, with a deadline, and returns what
// the app saw and the cookies set.
func (u *surgeUser) visit(h http.Handler, withLegacy bool) (source string, cookies map[string]string, status int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
	r.RemoteAddr = u.ip + ":50000"
	if withLegacy {
		r.AddCookie(&http.Cookie{Name: "legacy_session", Value: u.legacy})
	} else {
		r.AddCookie(&http.Cookie{Name: "ag_access", Value: u.access})
		r.AddCookie(&http.Cookie{Name: "ag_refresh", Value: u.refresh})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	cookies = map[string]string{}
	for _, c := range rec.Result().Cookies() {
		cookies[c.Name] = c.Value
	}
	return rec.Body.String(), cookies, rec.Code
}

// runSurge runs one surge and checks what must hold whatever the speed.
func runSurge(tb testing.TB, size surgeSize) surgeResult {
	rs := startRedis(tb)
	clk := &offsetClock{}
	fake := authgeartest.New(tb, authgeartest.Options{EnableCreateSession: true, Now: clk.Now, TrustProxy: true,
		AdminMutationsPerMinute: int(size.perMinute), AdminMutationBurst: size.authgearBurst()})
	ev := &surgeEvents{outcomes: map[agmigrate.Outcome]int{}}
	var replicas []http.Handler
	for range 3 {
		replicas = append(replicas, surgeReplica(tb, fake, rs, clk, size, ev))
	}
	users := make([]*surgeUser, size.users)
	for i := range users {
		email := fmt.Sprintf("user%d@example.com", i)
		users[i] = &surgeUser{id: fake.AddUser(authgeartest.User{Email: email}),
			ip: fmt.Sprintf("10.%d.%d.%d", i/62500, i/250%250, i%250+1), legacy: surgeLegacyToken(email, clk.Now())}
	}
	var res surgeResult

	// Rounds: every user not yet migrated sends a request at once (a
	// user served as legacy comes back with the next round, as a browser
	// does with its next page), each to some replica.
	rounds := func(withLegacy bool, want string, wait string) (int, time.Duration) {
		start := time.Now()
		n := 0
		for left := size.users; left > 0; n++ {
			if n > 100 {
				tb.Fatalf("%d users still not %s after %d rounds", left, want, n)
			}
			var wg sync.WaitGroup
			var bad atomic.Int64
			for i, u := range users {
				if u.done {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					source, ck, status := u.visit(replicas[(i+n)%3], withLegacy)
					switch {
					case status == 200 && source == want:
						u.done = true
						u.access, u.refresh = ck["ag_access"], ck["ag_refresh"]
					case status == 200 && source == wait:
						// Queued past QueueWait: served, migrated later.
					default:
						if bad.Add(1) == 1 {
							tb.Errorf("user %d: %d %q", i, status, source)
						}
					}
				}()
			}
			wg.Wait()
			if bad.Load() > 0 {
				tb.Fatalf("%d requests failed", bad.Load())
			}
			left = 0
			for _, u := range users {
				if !u.done {
					left++
				}
			}
		}
		return n, time.Since(start)
	}

	res.exchangeRounds, res.exchangeWall = rounds(true, "exchanged", "legacy")
	for _, u := range users {
		if u.access == "" || u.refresh == "" {
			tb.Fatal("an exchanged user without cookies")
		}
		u.done = false
	}
	clk.Advance(31 * time.Minute) // every access token has expired
	res.refreshRounds, res.refreshWall = rounds(false, "authgear", "none")

	// What Authgear saw.
	for _, u := range users {
		if n := fake.SessionCount(u.id); n != 1 {
			tb.Fatalf("user %s has %d sessions, want exactly 1", u.id, n)
		}
	}
	for _, name := range []string{"rate_limited.admin-mutations", "rate_limited.token-ip", "rate_limited.token-user"} {
		if n := fake.Calls(name); n != 0 {
			tb.Errorf("Authgear refused %d calls over its limit (%s)", n, name)
		}
	}
	if n := fake.Calls("createSession"); n != size.users {
		tb.Errorf("%d createSession calls for %d users", n, size.users)
	}
	if n := fake.Calls("token"); n != size.users {
		tb.Errorf("%d refreshes for %d users", n, size.users)
	}
	// In any window, no more than Authgear's budget: its burst and its
	// rate over the window.
	for _, name := range []string{"createSession", "token"} {
		for _, w := range []time.Duration{time.Second, 5 * time.Second, 15 * time.Second} {
			allowed := size.authgearBurst() + int(size.perMinute*w.Minutes())
			if got := fake.MaxInWindow(name, w); got > allowed {
				tb.Errorf("%s: %d calls within %s, Authgear's budget allows %d", name, got, w, allowed)
			}
		}
	}
	if n := ev.count(agmigrate.OutcomeExchanged); n != size.users {
		tb.Errorf("%d exchanged outcomes for %d users", n, size.users)
	}
	if n := ev.count(agmigrate.OutcomeAdminError); n != 0 {
		tb.Errorf("%d admin errors: %v", n, ev.errs)
	}
	res.peakAdmin1s = fake.MaxInWindow("createSession", time.Second)
	res.peakToken1s = fake.MaxInWindow("token", time.Second)
	res.peakAdmin10s = fake.MaxInWindow("createSession", 10*time.Second)
	res.peakToken10s = fake.MaxInWindow("token", 10*time.Second)
	return res
}

// TestCutOverSurge: thousands of legacy users at once over three
// replicas: Authgear's budgets hold in every window, every request is
// answered (as exchanged or, while queued, as legacy), and every user
// ends with exactly one session, then is refreshed inside the token
// budget. No timing is asserted; BenchmarkCutOverSurge reports the ratio.
func TestCutOverSurge(t *testing.T) {
	size := surgeSize{users: 1200, perMinute: 12000}
	if testing.Short() {
		size = surgeSize{users: 300, perMinute: 6000}
	}
	res := runSurge(t, size)
	t.Logf("%d users: exchanged in %s (%d rounds), refreshed in %s (%d rounds); users÷budget %s; peak per second: %d createSession, %d refreshes",
		size.users, res.exchangeWall.Round(time.Millisecond), res.exchangeRounds, res.refreshWall.Round(time.Millisecond),
		res.refreshRounds, ideal(size), res.peakAdmin1s, res.peakToken1s)
}

// ideal is users ÷ the replicas' budget: the least time a surge can take.
func ideal(s surgeSize) time.Duration {
	return time.Duration(float64(s.users) / s.governed().PerMinute * float64(time.Minute))
}

// BenchmarkCutOverSurge reports each phase's wall time against users ÷
// the replicas' budget (1.0: the budget fully used), and the peak rates
// Authgear saw over ten seconds, per minute and against Authgear's own
// budget (the replicas keep 0.8 of it):
//
//	cd redisstore && go test -run '^$' -bench CutOverSurge -benchtime 1x
func BenchmarkCutOverSurge(b *testing.B) {
	size := surgeSize{users: 3000, perMinute: 6000}
	for b.Loop() {
		res := runSurge(b, size)
		b.ReportMetric(res.exchangeWall.Seconds()/ideal(size).Seconds(), "exchange-wall/ideal")
		b.ReportMetric(res.refreshWall.Seconds()/ideal(size).Seconds(), "refresh-wall/ideal")
		b.ReportMetric(float64(res.peakAdmin10s)*6, "peak-admin/min")
		b.ReportMetric(float64(res.peakAdmin10s)*6/size.perMinute, "peak-admin/authgear-budget")
		b.ReportMetric(float64(res.peakToken10s)*6/size.perMinute, "peak-token/authgear-budget")
	}
}
