package agmigrate_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// 1,000 concurrent requests with one new legacy token: one lookup, one
// session, one set of tokens for all.
func TestSameTokenStorm(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	var created int
	var cmu sync.Mutex
	cfg := w.config()
	cfg.OnExchanged = func(context.Context, *verifier.LegacyIdentity, string) { cmu.Lock(); created++; cmu.Unlock() }
	h := w.middleware(cfg).Handler(app)
	tok := w.legacyToken("alice@example.com")

	const n = 1000
	results := make([]served, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = serve(h, withLegacyCookie(tok))
		}(i)
	}
	wg.Wait()
	if got := w.fake.Calls("getUserByLoginID"); got != 1 {
		t.Errorf("getUserByLoginID called %d times, want 1", got)
	}
	if got := w.fake.Calls("createSession"); got != 1 {
		t.Errorf("createSession called %d times, want 1", got)
	}
	if got := w.fake.SessionCount(alice); got != 1 {
		t.Errorf("alice has %d sessions, want 1", got)
	}
	access := results[0].cookies["ag_access"]
	for i, r := range results {
		if r.status != 200 || r.user != alice || r.source != "exchanged" {
			t.Fatalf("request %d: %d %s %s", i, r.status, r.user, r.source)
		}
		if r.cookies["ag_access"] == nil || r.cookies["ag_access"].Value != access.Value || r.cookies["ag_refresh"] == nil {
			t.Fatalf("request %d got other tokens", i)
		}
		if lc := r.cookies["legacy_session"]; lc == nil || lc.MaxAge >= 0 || lc.Secure {
			t.Fatalf("request %d did not clear the legacy cookie in a way a plain-HTTP browser accepts", i)
		}
	}
	if created != 1 {
		t.Errorf("OnExchanged called %d times, want 1", created)
	}
	// One request made the session; the others joined it or reused it.
	exchanged, joined, reused := w.events.count(agmigrate.OutcomeExchanged), w.events.count(agmigrate.OutcomeExchangeJoined), w.events.count(agmigrate.OutcomeExchangeReused)
	if exchanged != 1 || exchanged+joined+reused != n {
		t.Errorf("observer outcomes: %d exchanged, %d joined, %d reused", exchanged, joined, reused)
	}
}

// 1,000 distinct legacy tokens at once: 1,000 sessions, none lost, none
// duplicated.
func TestDistinctTokenStorm(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	const n = 1000
	emails := make([]string, n)
	ids := map[string]string{}
	for i := range emails {
		emails[i] = "user" + itoa(i) + "@example.com"
		ids[emails[i]] = w.fake.AddUser(authgeartest.User{Email: emails[i]})
	}
	cfg := w.config()
	// 1,000 exchanges at once under -race on a loaded 2-core machine can
	// take far longer than a production timeout: this test is about
	// losing and duplicating none, not about speed.
	cfg.ExchangeTimeout = 5 * time.Minute
	cfg.BreakerThreshold = n
	admin, err := adminapi.New(adminapi.Config{Endpoint: w.fake.URL, ProjectID: w.fake.ProjectID(), Key: w.fake.AdminKey(),
		HTTPClient: &http.Client{Timeout: 5 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Admin = admin
	h := w.middleware(cfg).Handler(app)
	toks := make([]string, n)
	for i := range toks {
		toks[i] = w.legacyToken(emails[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := serve(h, withLegacyCookie(toks[i]))
			if r.status != 200 || r.user != ids[emails[i]] || r.source != "exchanged" {
				errs <- emails[i] + ": " + r.source
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if t.Failed() {
		w.events.mu.Lock()
		for _, ev := range w.events.l {
			if ev.Err != nil {
				t.Logf("first failure: %v", ev.Err)
				break
			}
		}
		w.events.mu.Unlock()
	}
	if got := w.fake.SessionCount(""); got != n {
		t.Errorf("%d sessions, want %d", got, n)
	}
	for _, id := range ids {
		if c := w.fake.SessionCount(id); c != 1 {
			t.Fatalf("user %s has %d sessions", id, c)
		}
	}
}

// Cookie mode end to end, with a real client and cookie jar.
func TestCookieModeEndToEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	cfg := w.config()
	cfg.Delivery = agmigrate.Cookies{} // Secure __Host- cookies over TLS
	srv := httptest.NewTLSServer(w.middleware(cfg).Handler(app))
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	client := srv.Client()
	client.Jar = jar
	u, _ := url.Parse(srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "legacy_session", Value: w.legacyToken("alice@example.com"), Path: "/"}})

	get := func() (string, *http.Response) {
		resp, err := client.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return b.String(), resp
	}
	names := func() map[string]string {
		out := map[string]string{}
		for _, c := range jar.Cookies(u) {
			out[c.Name] = c.Value
		}
		return out
	}

	body, resp := get()
	if !strings.Contains(body, `"source":"exchanged"`) || !strings.Contains(body, alice) {
		t.Fatalf("first request: %s", body)
	}
	for _, c := range resp.Cookies() {
		if (c.Name == "__Host-ag_access" || c.Name == "__Host-ag_refresh") && (!c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.MaxAge <= 0) {
			t.Errorf("cookie %s: HttpOnly %v Secure %v SameSite %v MaxAge %d", c.Name, c.HttpOnly, c.Secure, c.SameSite, c.MaxAge)
		}
		if c.Name == "__Host-ag_access" && c.MaxAge != 1800 {
			t.Errorf("access cookie Max-Age %d, want the token's 1800 s", c.MaxAge)
		}
	}
	if v := resp.Header.Values("Vary"); len(v) == 0 || !strings.Contains(strings.Join(v, ","), "Cookie") {
		t.Errorf("Vary %v", v)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, `no-cache="Set-Cookie"`) {
		t.Errorf("Cache-Control %q", cc)
	}
	got := names()
	if _, ok := got["legacy_session"]; ok {
		t.Error("legacy cookie not cleared")
	}
	if got["__Host-ag_access"] == "" || got["__Host-ag_refresh"] == "" {
		t.Fatalf("jar %v", got)
	}

	// The next request is served from the Authgear cookie, no Admin API call.
	calls := w.fake.AllCalls()
	body, _ = get()
	if !strings.Contains(body, `"source":"authgear"`) {
		t.Fatalf("second request: %s", body)
	}
	if after := w.fake.AllCalls(); after["graphql"] != calls["graphql"] || after["token"] != calls["token"] {
		t.Errorf("second request called Authgear: %v → %v", calls, after)
	}

	// Half an hour later the access token has expired: refreshed, new cookie.
	w.clock.Advance(31 * time.Minute)
	oldAccess := names()["__Host-ag_access"]
	body, _ = get()
	if !strings.Contains(body, `"source":"authgear"`) || !strings.Contains(body, alice) {
		t.Fatalf("after expiry: %s", body)
	}
	if w.fake.Calls("token") != 1 || names()["__Host-ag_access"] == oldAccess {
		t.Errorf("refresh: %d token calls, access cookie changed: %v", w.fake.Calls("token"), names()["__Host-ag_access"] != oldAccess)
	}
	if w.events.count(agmigrate.OutcomeRefreshed) != 1 {
		t.Errorf("refreshed outcomes: %d", w.events.count(agmigrate.OutcomeRefreshed))
	}
	if w.fake.SessionCount(alice) != 1 {
		t.Errorf("%d sessions", w.fake.SessionCount(alice))
	}

	// The user is disabled in Authgear: the refresh is refused, cookies go.
	w.clock.Advance(31 * time.Minute)
	w.fake.SetUserDisabled(alice, true)
	body, _ = get()
	if !strings.Contains(body, `"source":"none"`) {
		t.Errorf("disabled user after expiry: %s", body)
	}
	if _, ok := names()["__Host-ag_refresh"]; ok {
		t.Error("refresh cookie kept after Authgear refused it")
	}
}

// Refresh-token rotation: concurrent requests holding the old refresh
// token get the same new tokens instead of one winning and the rest failing.
func TestConcurrentRefreshWithRotation(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "test-client", RotateRefreshTokens: true}}})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	h := w.middleware(w.config()).Handler(app)
	first := serve(h, withLegacyCookie(w.legacyToken("alice@example.com")))
	rt := first.cookies["ag_refresh"].Value
	w.clock.Advance(31 * time.Minute)
	var wg sync.WaitGroup
	got := make([]served, 50)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := httptest.NewRequest("GET", "/", nil)
			r.AddCookie(&http.Cookie{Name: "ag_refresh", Value: rt})
			got[i] = serve(h, r)
		}(i)
	}
	wg.Wait()
	for i, g := range got {
		if g.source != "authgear" || g.cookies["ag_refresh"] == nil || g.cookies["ag_refresh"].Value != got[0].cookies["ag_refresh"].Value {
			t.Fatalf("request %d: %s, rotated token differs", i, g.source)
		}
	}
	if n := w.fake.Calls("token"); n != 1 {
		t.Errorf("%d refreshes at Authgear, want 1", n)
	}
}

// Authgear failing in each way: every request answered within the timeout
// as the policy says, and one session once Authgear recovers.
func TestAdminAPIFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		fault  string
		f      authgeartest.Fault
		policy agmigrate.FailurePolicy
	}{
		// Slow: the lookup never answers before the exchange times out
		// (the fake stops waiting when the call is cancelled).
		{"slow, fail open", "getUserByLoginID", authgeartest.Fault{Latency: time.Hour}, agmigrate.FailOpen},
		{"5xx, fail closed", "graphql", authgeartest.Fault{Status: 502}, agmigrate.FailClosed},
		{"dropped connections, fail open", "createSession", authgeartest.Fault{Drop: true}, agmigrate.FailOpen},
		{"createSession disabled, fail closed", "", authgeartest.Fault{}, agmigrate.FailClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, authgeartest.Options{})
			alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
			if tc.fault == "" {
				w.fake.SetCreateSessionEnabled(false)
			} else {
				w.fake.SetFault(tc.fault, tc.f)
			}
			cfg := w.config()
			cfg.FailurePolicy = tc.policy
			// Generous enough for a healthy exchange under -race on a busy
			// machine; only the slow case waits it out.
			cfg.ExchangeTimeout = 5 * time.Second
			cfg.BreakerThreshold = 1000
			h := w.middleware(cfg).Handler(app)
			tok := w.legacyToken("alice@example.com")
			var wg sync.WaitGroup
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := serve(h, withLegacyCookie(tok))
					switch tc.policy {
					case agmigrate.FailOpen:
						if r.status != 200 || r.source != "legacy" {
							t.Errorf("fail open: %d %s", r.status, r.source)
						}
					case agmigrate.FailClosed:
						if r.status != 503 || r.header.Get("Retry-After") == "" {
							t.Errorf("fail closed: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
						}
					}
				}()
			}
			wg.Wait()
			if w.events.count(agmigrate.OutcomeAdminError) != 20 {
				t.Errorf("admin_error outcomes: %d", w.events.count(agmigrate.OutcomeAdminError))
			}
			// Recovery: the next requests exchange, once.
			w.fake.ClearFault(tc.fault)
			w.fake.SetCreateSessionEnabled(true)
			// A setup error paused exchanges for the breaker's cool-down.
			w.clock.Advance(31 * time.Second)
			for i := 0; i < 5; i++ {
				if r := serve(h, withLegacyCookie(tok)); r.status != 200 || r.source != "exchanged" {
					t.Fatalf("after recovery: %d %s", r.status, r.source)
				}
			}
			if n := w.fake.SessionCount(alice); n != 1 {
				t.Errorf("%d sessions after recovery, want 1", n)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestUserMissingDisabledAndNegativeCache(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "carol@example.com", Disabled: true})
	h := w.middleware(w.config()).Handler(app)
	missing := w.legacyToken("nobody@example.com")
	for i := 0; i < 5; i++ {
		if r := serve(h, withLegacyCookie(missing)); r.status != 200 || r.source != "legacy" || r.cookies["ag_access"] != nil {
			t.Fatalf("missing user: %d %s", r.status, r.source)
		}
	}
	if n := w.fake.Calls("getUserByLoginID"); n != 1 {
		t.Errorf("%d lookups for a missing user in one minute, want 1 (negative cache)", n)
	}
	if w.events.count(agmigrate.OutcomeUserMissing) != 5 || w.events.l[0].LoginID != "nobody@example.com" {
		t.Errorf("missing-user events: %d %+v", w.events.count(agmigrate.OutcomeUserMissing), w.events.l[0])
	}
	r := serve(h, withLegacyCookie(w.legacyToken("carol@example.com")))
	if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) || w.fake.Calls("createSession") != 0 {
		t.Errorf("disabled user: %d %q, createSession %d", r.status, r.header.Get("WWW-Authenticate"), w.fake.Calls("createSession"))
	}
	// After the negative TTL the user, now imported, is exchanged.
	w.fake.AddUser(authgeartest.User{Email: "nobody@example.com"})
	w.clock.Advance(2 * time.Minute)
	if r := serve(h, withLegacyCookie(missing)); r.source != "exchanged" {
		t.Errorf("after import: %s", r.source)
	}
}

func TestCredentialsRequiredAndBadTokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	cfg := w.config()
	cfg.RequireAuth = true
	h := w.middleware(cfg).Handler(app)
	r := serve(h, httptest.NewRequest("GET", "/", nil))
	if r.status != 401 || r.header.Get("WWW-Authenticate") != `Bearer realm="agmigrate"` || !strings.Contains(r.body, `"error"`) {
		t.Errorf("no credentials: %d %q %s", r.status, r.header.Get("WWW-Authenticate"), r.body)
	}
	tok := w.legacyToken("alice@example.com")
	forged := tok[:len(tok)-4] + "AAAA"
	r = serve(h, withLegacyCookie(forged))
	if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) || !strings.Contains(r.body, "invalid_token") {
		t.Errorf("forged legacy token: %d %q %s", r.status, r.header.Get("WWW-Authenticate"), r.body)
	}
	if strings.Contains(r.body, forged) || strings.Contains(r.header.Get("WWW-Authenticate"), forged[:20]) {
		t.Error("the answer repeats the token")
	}
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer not-an-authgear-token")
	if r := serve(h, req); r.status != 401 {
		t.Errorf("bad bearer: %d", r.status)
	}
	if w.fake.Calls("graphql") != 0 {
		t.Errorf("bad tokens reached the Admin API")
	}
}

func TestRolloutShadowSunset(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	for i := 0; i < 200; i++ {
		w.fake.AddUser(authgeartest.User{Email: "u" + itoa(i) + "@example.com"})
	}
	ro := &agmigrate.Rollout{Percent: 25}
	cfg := w.config()
	cfg.Rollout = ro
	h := w.middleware(cfg).Handler(app)
	in := 0
	for i := 0; i < 200; i++ {
		email := "u" + itoa(i) + "@example.com"
		r := serve(h, withLegacyCookie(w.legacyToken(email)))
		want := "legacy"
		if ro.Bucket(email) < 25 {
			want, in = "exchanged", in+1
		}
		if r.source != want {
			t.Fatalf("%s: %s, want %s", email, r.source, want)
		}
		// Stable: the same user lands in the same place with a new token.
		if again := serve(h, withLegacyCookie(w.legacyToken(email))); again.source != want && !(want == "exchanged" && again.source == "exchanged") {
			t.Fatalf("%s moved buckets", email)
		}
	}
	if in < 25 || in > 75 {
		t.Errorf("%d of 200 rolled out at 25%%", in)
	}
	// Include moves chosen users whatever their bucket.
	inc := &agmigrate.Rollout{Include: func(id *verifier.LegacyIdentity, _ *http.Request) bool { return id.LoginID == "u3@example.com" }}
	icfg := w.config()
	icfg.Rollout = inc
	if r := serve(w.middleware(icfg).Handler(app), withLegacyCookie(w.legacyToken("u3@example.com"))); r.source != "exchanged" {
		t.Errorf("included user: %s", r.source)
	}

	// Shadow: lookups happen, nothing is created or set.
	ws := newWorld(t, authgeartest.Options{})
	alice := ws.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	scfg := ws.config()
	scfg.Shadow = true
	hs := ws.middleware(scfg).Handler(app)
	r := serve(hs, withLegacyCookie(ws.legacyToken("alice@example.com")))
	if r.source != "legacy" || len(r.cookies) != 0 || ws.fake.Calls("createSession") != 0 || ws.fake.SessionCount(alice) != 0 {
		t.Errorf("shadow: %s cookies %v", r.source, r.cookies)
	}
	if ws.events.l[0].Outcome != agmigrate.OutcomeShadow || ws.events.l[0].Shadow != agmigrate.OutcomeExchanged {
		t.Errorf("shadow event %+v", ws.events.l[0])
	}

	// Sunset: legacy sessions refused with a clear error.
	wz := newWorld(t, authgeartest.Options{})
	zcfg := wz.config()
	zcfg.SunsetAt = wz.clock.Now().Add(-time.Minute)
	r = serve(wz.middleware(zcfg).Handler(app), withLegacyCookie(wz.legacyToken("alice@example.com")))
	if r.status != 401 || !strings.Contains(r.body, "no longer accepted") {
		t.Errorf("after sunset: %d %s", r.status, r.body)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	mod := func(f func(*agmigrate.Config)) agmigrate.Config { c := w.config(); f(&c); return c }
	for name, cfg := range map[string]agmigrate.Config{
		"no Authgear":    mod(func(c *agmigrate.Config) { c.Authgear = nil }),
		"no Legacy":      mod(func(c *agmigrate.Config) { c.Legacy = nil }),
		"no extractor":   mod(func(c *agmigrate.Config) { c.LegacyToken = nil }),
		"no admin":       mod(func(c *agmigrate.Config) { c.Admin = nil }),
		"no client":      mod(func(c *agmigrate.Config) { c.ClientID = "" }),
		"cookie clash":   mod(func(c *agmigrate.Config) { c.LegacyToken = agmigrate.CookieExtractor{Name: "ag_access"} }),
		"unnamed header": mod(func(c *agmigrate.Config) { c.LegacyToken = agmigrate.HeaderExtractor{} }),
		"bad percent":    mod(func(c *agmigrate.Config) { c.Rollout = &agmigrate.Rollout{Percent: 120} }),
		"negative ttl":   mod(func(c *agmigrate.Config) { c.NegativeTTL = -1 }),
		"unknown policy": mod(func(c *agmigrate.Config) { c.FailurePolicy = 7 }),
	} {
		_, err := agmigrate.New(cfg)
		var ce *agmigrate.ConfigError
		if !errors.Is(err, agmigrate.ErrConfig) || !errors.As(err, &ce) || ce.Field == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The same legacy token presented again after the access token expired
// gets a fresh access token from the stored session, not the expired one,
// and no second session.
func TestReusedExchangeRefreshesExpiredAccessToken(t *testing.T) {
	t.Parallel()
	w, alice, req := headerClient(t, authgeartest.Options{})
	first := req()
	w.clock.Advance(45 * time.Minute)
	again := req()
	at := again.header.Get("X-Authgear-Access-Token")
	if again.source != "exchanged" || at == "" || at == first.header.Get("X-Authgear-Access-Token") {
		t.Fatalf("second presentation: %s, new access token: %v", again.source, at != first.header.Get("X-Authgear-Access-Token"))
	}
	if _, err := w.ag.Verify(context.Background(), at); err != nil {
		t.Errorf("the delivered access token does not verify: %v", err)
	}
	if w.fake.SessionCount(alice) != 1 || w.fake.Calls("token") != 1 {
		t.Errorf("%d sessions, %d refreshes; want 1 and 1", w.fake.SessionCount(alice), w.fake.Calls("token"))
	}
}

// With refresh-token rotation, a stored session renewed once stays usable:
// the renewed refresh token is kept, so a later renewal does not fail and
// force a second session.
func TestReusedExchangeWithRotation(t *testing.T) {
	t.Parallel()
	w, alice, req := headerClient(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "test-client", RotateRefreshTokens: true}}})
	for i := 0; i < 3; i++ {
		if s := req(); s.source != "exchanged" {
			t.Fatalf("presentation %d: %s", i, s.source)
		}
		w.clock.Advance(45 * time.Minute)
	}
	if n := w.fake.SessionCount(alice); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
	if n := w.fake.Calls("token"); n != 2 {
		t.Errorf("%d refreshes, want 2", n)
	}
}

// headerClient is a world whose legacy token travels in X-Legacy-Token and
// whose Authgear tokens come back in headers, with alice in Authgear; req
// presents alice's one legacy token.
func headerClient(t *testing.T, opts authgeartest.Options) (w *world, alice string, req func() served) {
	w = newWorld(t, opts)
	alice = w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	cfg := w.config()
	cfg.LegacyToken = agmigrate.HeaderExtractor{Name: "X-Legacy-Token"}
	cfg.Delivery = agmigrate.Headers{}
	h := w.middleware(cfg).Handler(app)
	tok := w.legacyToken("alice@example.com")
	return w, alice, func() served {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Legacy-Token", tok)
		return serve(h, r)
	}
}
