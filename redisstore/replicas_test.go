package redisstore_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/agmigrate/agmigrate/verifier"
)

var secret = []byte("legacy-hmac-secret-0123456789abcdef")

func legacyToken(email string, n int) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	now := time.Now().Unix()
	in := enc(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": "https://legacy.example.com", "aud": "web", "email": email, "email_verified": true, "iat": now, "exp": now + 3600, "jti": itoa(n)})
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// storeEvents counts what the observer hears.
type storeEvents struct {
	storeFailures atomic.Int64
	outcomes      sync.Map
}

func (e *storeEvents) Observe(_ *http.Request, ev agmigrate.Event) {
	v, _ := e.outcomes.LoadOrStore(ev.Outcome, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}
func (e *storeEvents) StoreFailed(error) { e.storeFailures.Add(1) }

// replica is one app instance: its own verifiers, in-process singleflight
// and Redis client, sharing Redis and the fake with the others.
func replica(t *testing.T, fake *authgeartest.Server, rs *redisServer, ev agmigrate.Observer, cfgf func(*agmigrate.Config)) http.Handler {
	t.Helper()
	ctx := context.Background()
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ag.Close)
	lv, err := verifier.NewJWT(ctx, verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := redisstore.New(rs.client(), redisstore.Options{Pause: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := agmigrate.Config{Authgear: ag, Legacy: lv, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"}, Store: st, Observer: ev,
		Delivery: agmigrate.Cookies{InsecureAllowHTTP: true}}
	if cfgf != nil {
		cfgf(&cfg)
	}
	m, err := agmigrate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := agmigrate.IdentityFrom(r.Context())
		_, _ = w.Write([]byte(id.Source.String() + " " + id.UserID))
	}))
}

type answer struct {
	body, access string
}

func hit(h http.Handler, tok string) answer {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "legacy_session", Value: tok})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	a := answer{body: rec.Body.String()}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "ag_access" {
			a.access = c.Value
		}
	}
	return a
}

// storm sends n concurrent requests with tok, spread over the replicas.
func storm(hs []http.Handler, tok string, n int) []answer {
	out := make([]answer, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out[i] = hit(hs[i%len(hs)], tok)
		}(i)
	}
	wg.Wait()
	return out
}

func TestThreeReplicasOneSession(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	// Latency widens the window in which replicas race.
	fake.SetFault("graphql", authgeartest.Fault{Latency: 30 * time.Millisecond})
	ev := &storeEvents{}
	hs := []http.Handler{replica(t, fake, rs, ev, nil), replica(t, fake, rs, ev, nil), replica(t, fake, rs, ev, nil)}
	res := storm(hs, legacyToken("alice@example.com", 1), 300)
	if n := fake.Calls("createSession"); n != 1 {
		t.Errorf("createSession called %d times across 3 replicas, want 1", n)
	}
	if n := fake.SessionCount(alice); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
	for i, a := range res {
		if !strings.HasPrefix(a.body, "exchanged "+alice) || a.access == "" || a.access != res[0].access {
			t.Fatalf("response %d: %q, same tokens: %v", i, a.body, a.access == res[0].access)
		}
	}
	if ev.storeFailures.Load() != 0 {
		t.Errorf("%d store failures with Redis up", ev.storeFailures.Load())
	}
}

// A lock whose holder died (it never releases) holds the others back only
// until its lease runs out.
func TestOrphanedLockExpires(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	h := replica(t, fake, rs, &storeEvents{}, nil)
	tok := legacyToken("alice@example.com", 2)
	// A dead replica's lock: taken, never released, 1.5 s lease.
	lockKey := "agmigrate:lock:{" + agmigrate.ExchangeKey(fake.AdminClient(), "test-client", tok) + "}"
	if err := rs.client().Set(context.Background(), lockKey, "dead-replica", 1500*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	a := hit(h, tok)
	d := time.Since(start)
	if !strings.HasPrefix(a.body, "exchanged "+alice) {
		t.Fatalf("after the orphaned lock: %q", a.body)
	}
	if d < time.Second || d > 5*time.Second {
		t.Errorf("waited %v for a 1.5 s lease", d)
	}
	if n := fake.SessionCount(alice); n != 1 {
		t.Errorf("%d sessions", n)
	}
}

// The lock holder's exchange is cut short (Authgear stalls past its
// timeout): another replica completes the exchange; still one session.
func TestHolderTimesOut(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	short := func(c *agmigrate.Config) { c.ExchangeTimeout = 300 * time.Millisecond; c.Retries = -1 }
	a := replica(t, fake, rs, &storeEvents{}, short)
	b := replica(t, fake, rs, &storeEvents{}, nil)
	tok := legacyToken("alice@example.com", 3)
	// The first lookup (replica a's) stalls for 2 s.
	fake.SetFault("getUserByLoginID", authgeartest.Fault{Latency: 2 * time.Second, Times: 1})
	var wg sync.WaitGroup
	var first, second answer
	wg.Add(2)
	go func() { defer wg.Done(); first = hit(a, tok) }()
	// Start b once a holds the lock.
	lockKey := "agmigrate:lock:{" + agmigrate.ExchangeKey(fake.AdminClient(), "test-client", tok) + "}"
	rdb := rs.client()
	for deadline := time.Now().Add(5 * time.Second); rdb.Exists(context.Background(), lockKey).Val() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("replica a never took the lock")
		}
		time.Sleep(5 * time.Millisecond)
	}
	go func() { defer wg.Done(); second = hit(b, tok) }()
	wg.Wait()
	if !strings.HasPrefix(first.body, "legacy") {
		t.Errorf("the stalled replica should fail open: %q", first.body)
	}
	if !strings.HasPrefix(second.body, "exchanged "+alice) {
		t.Errorf("the other replica should complete the exchange: %q", second.body)
	}
	time.Sleep(2 * time.Second) // the stalled call drains
	if n := fake.SessionCount(alice); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
}

func TestRedisOutageAndRecovery(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	var users []string
	for i := 0; i < 30; i++ {
		users = append(users, fake.AddUser(authgeartest.User{Email: "u" + itoa(i) + "@example.com"}))
	}
	ev := &storeEvents{}
	hs := []http.Handler{replica(t, fake, rs, ev, nil), replica(t, fake, rs, ev, nil), replica(t, fake, rs, ev, nil)}
	check := func(from, to int, phase string) {
		t.Helper()
		for i := from; i < to; i++ {
			res := storm(hs, legacyToken("u"+itoa(i)+"@example.com", 100+i), 9)
			for _, a := range res {
				if !strings.HasPrefix(a.body, "exchanged "+users[i]) {
					t.Fatalf("%s: user %d: %q", phase, i, a.body)
				}
			}
		}
	}
	check(0, 10, "Redis up")
	for i := 0; i < 10; i++ {
		if n := fake.SessionCount(users[i]); n != 1 {
			t.Fatalf("Redis up: user %d has %d sessions", i, n)
		}
	}
	rs.stop()
	start := time.Now()
	check(10, 20, "Redis down")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("requests during the outage took %v", d)
	}
	if ev.storeFailures.Load() == 0 {
		t.Error("the observer was not told that the store failed")
	}
	for i := 10; i < 20; i++ {
		if n := fake.SessionCount(users[i]); n < 1 || n > 3 {
			t.Errorf("Redis down: user %d has %d sessions (per-replica dedup allows up to 3)", i, n)
		}
	}
	rs.start()
	time.Sleep(400 * time.Millisecond) // the stores' pause after failure
	check(20, 30, "Redis back")
	for i := 20; i < 30; i++ {
		if n := fake.SessionCount(users[i]); n != 1 {
			t.Errorf("Redis back: user %d has %d sessions, want 1", i, n)
		}
	}
}

func TestDumpHoldsNoTokens(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	h := replica(t, fake, rs, &storeEvents{}, nil)
	tok := legacyToken("alice@example.com", 4)
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "legacy_session", Value: tok})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var secrets []string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "ag_access" || c.Name == "ag_refresh" {
			secrets = append(secrets, c.Value)
		}
	}
	if len(secrets) != 2 {
		t.Fatalf("cookies: %v", rec.Result().Cookies())
	}
	secrets = append(secrets, tok)
	ctx := context.Background()
	c := rs.client()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys %v %v", keys, err)
	}
	for _, k := range keys {
		v, _ := c.Get(ctx, k).Result()
		dump := k + v
		for _, s := range secrets {
			for _, part := range strings.Split(s, ".") {
				if len(part) > 12 && strings.Contains(dump, part) {
					t.Fatalf("key %s holds a token part in clear", k)
				}
			}
		}
	}
}

// With refresh-token rotation, concurrent refreshes of one session on
// different replicas make one refresh at Authgear and share its tokens.
func TestRefreshAcrossReplicasWithRotation(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true,
		Clients: []authgeartest.Client{{ID: "test-client", RotateRefreshTokens: true, AccessTokenLifetime: time.Second}}})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	fake.SetFault("token", authgeartest.Fault{Latency: 30 * time.Millisecond})
	ev := &storeEvents{}
	hs := []http.Handler{replica(t, fake, rs, ev, nil), replica(t, fake, rs, ev, nil), replica(t, fake, rs, ev, nil)}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "legacy_session", Value: legacyToken("alice@example.com", 9)})
	rec := httptest.NewRecorder()
	hs[0].ServeHTTP(rec, r)
	var refresh string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "ag_refresh" {
			refresh = c.Value
		}
	}
	if refresh == "" {
		t.Fatalf("no refresh cookie: %s", rec.Body.String())
	}
	time.Sleep(1100 * time.Millisecond) // the access token expires
	var wg sync.WaitGroup
	got := make([]string, 30)
	for i := range got {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := httptest.NewRequest("GET", "/", nil)
			r.AddCookie(&http.Cookie{Name: "ag_refresh", Value: refresh})
			rec := httptest.NewRecorder()
			hs[i%3].ServeHTTP(rec, r)
			for _, c := range rec.Result().Cookies() {
				if c.Name == "ag_refresh" {
					got[i] = c.Value
				}
			}
			if !strings.HasPrefix(rec.Body.String(), "authgear "+alice) {
				t.Errorf("request %d: %q", i, rec.Body.String())
			}
		}(i)
	}
	wg.Wait()
	if n := fake.Calls("token"); n != 1 {
		t.Errorf("%d refreshes at Authgear across 3 replicas, want 1", n)
	}
	for i, g := range got {
		if g == "" || g != got[0] || g == refresh {
			t.Fatalf("request %d got refresh token %q, want the one new token", i, g)
		}
	}
}
