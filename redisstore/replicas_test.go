package redisstore_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/agmigrate/agmigrate/verifier"
	"github.com/redis/go-redis/v9"
)

var secret = []byte("legacy-hmac-secret-0123456789abcdef")

// tokenEpoch fixes the iat of every legacy token a test run mints, so the
// same (email, n) gives the same token however many seconds apart it is
// asked for: a test on a busy machine must not mint a new token by
// crossing a second boundary.
var tokenEpoch = time.Now().Unix()

func legacyToken(email string, n int) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	now := tokenEpoch
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

// shared is Redis as the replicas share it: one node, or a 3-master
// cluster. down stops one node; onDown then tells whether an exchange's
// keys were on it (always, for a single node).
type shared struct {
	partial bool // a node going down leaves the others up
	client  func() redis.UniversalClient
	down    func()
	onDown  func(exchangeKey string) bool
	up      func()
}

var deployments = []struct {
	name  string
	start func(t *testing.T) *shared
}{
	{"single", func(t *testing.T) *shared {
		rs := startRedis(t)
		return &shared{client: func() redis.UniversalClient { return rs.client() },
			down: rs.stop, onDown: func(string) bool { return true }, up: rs.start}
	}},
	{"cluster", func(t *testing.T) *shared {
		c := startCluster(t)
		victim := c.nodes[1]
		naming, err := redisstore.New(c.client(), redisstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return &shared{partial: true, client: func() redis.UniversalClient { return c.client() },
			down: victim.stop, up: func() { c.restart(victim) },
			onDown: func(key string) bool {
				v, _, _ := redisstore.KeyNames(naming, key)
				return c.nodeFor(v) == victim
			}}
	}},
}

// onEachDeployment runs f against a single node and against a cluster.
func onEachDeployment(t *testing.T, f func(t *testing.T, sh *shared)) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) { f(t, d.start(t)) })
	}
}

const pause = 300 * time.Millisecond

// replica is one app instance: its own verifiers, in-process singleflight
// and Redis client, sharing Redis and the fake with the others. Its
// sessions carry its name in their device info.
type replica struct {
	name  string
	h     http.Handler
	store *redisstore.Store
}

func newReplica(t testing.TB, fake *authgeartest.Server, rdb redis.UniversalClient, name string, ev agmigrate.Observer, clk *clock, cfgf func(*agmigrate.Config)) *replica {
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
	o := redisstore.Options{Pause: pause, OpTimeout: opTimeout}
	if clk != nil {
		o.Now = clk.Now
	}
	st, err := redisstore.New(rdb, o)
	if err != nil {
		t.Fatal(err)
	}
	cfg := agmigrate.Config{Authgear: ag, Legacy: lv, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"}, Store: st, Observer: ev,
		Delivery:   agmigrate.Cookies{InsecureAllowHTTP: true},
		DeviceInfo: func(*http.Request) adminapi.DeviceInfo { return adminapi.DeviceInfo{"replica": name} }}
	if cfgf != nil {
		cfgf(&cfg)
	}
	m, err := agmigrate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := agmigrate.IdentityFrom(r.Context())
		_, _ = w.Write([]byte(id.Source.String() + " " + id.UserID))
	}))
	return &replica{name: name, h: h, store: st}
}

func threeReplicas(t *testing.T, fake *authgeartest.Server, sh *shared, ev agmigrate.Observer, clk *clock) []*replica {
	var rs []*replica
	for _, name := range []string{"a", "b", "c"} {
		rs = append(rs, newReplica(t, fake, sh.client(), name, ev, clk, nil))
	}
	return rs
}

type answer struct {
	replica, body, access string
}

func hit(r *replica, tok string) answer {
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "legacy_session", Value: tok})
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	a := answer{replica: r.name, body: rec.Body.String()}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "ag_access" {
			a.access = c.Value
		}
	}
	return a
}

// storm sends n concurrent requests with tok, spread over the replicas.
func storm(rs []*replica, tok string, n int) []answer {
	out := make([]answer, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out[i] = hit(rs[i%len(rs)], tok)
		}(i)
	}
	wg.Wait()
	return out
}

// sessionsByReplica counts a user's sessions per replica that made them.
func sessionsByReplica(fake *authgeartest.Server, user string) map[string]int {
	out := map[string]int{}
	for _, s := range fake.Sessions(user) {
		out[fmt.Sprint(s.DeviceInfo["replica"])]++
	}
	return out
}

func exchangeKey(fake *authgeartest.Server, tok string) string {
	return agmigrate.ExchangeKey(fake.AdminClient(), "test-client", tok)
}

// One legacy token sent 300 times at once over 3 replicas: one session.
func TestReplicasOneToken(t *testing.T) {
	onEachDeployment(t, func(t *testing.T, sh *shared) {
		fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
		alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
		// Latency widens the window in which replicas race.
		fake.SetFault("graphql", authgeartest.Fault{Latency: 30 * time.Millisecond})
		ev := &storeEvents{}
		res := storm(threeReplicas(t, fake, sh, ev, nil), legacyToken("alice@example.com", 1), 300)
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
		if n := ev.storeFailures.Load(); n != 0 {
			t.Errorf("%d store failures with Redis up", n)
		}
	})
}

// 30 legacy tokens, each sent 9 times, all at once over 3 replicas: one
// session per token.
func TestReplicasDistinctTokens(t *testing.T) {
	onEachDeployment(t, func(t *testing.T, sh *shared) {
		fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
		ev := &storeEvents{}
		rs := threeReplicas(t, fake, sh, ev, nil)
		const users = 30
		ids := make([]string, users)
		for i := range ids {
			ids[i] = fake.AddUser(authgeartest.User{Email: "u" + itoa(i) + "@example.com"})
		}
		var wg sync.WaitGroup
		res := make([][]answer, users)
		for i := range ids {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				res[i] = storm(rs, legacyToken("u"+itoa(i)+"@example.com", i), 9)
			}(i)
		}
		wg.Wait()
		for i, id := range ids {
			if n := fake.SessionCount(id); n != 1 {
				t.Errorf("user %d: %d sessions, want 1", i, n)
			}
			for _, a := range res[i] {
				if !strings.HasPrefix(a.body, "exchanged "+id) || a.access != res[i][0].access {
					t.Fatalf("user %d on replica %s: %q", i, a.replica, a.body)
				}
			}
		}
		if n := fake.Calls("createSession"); n != users {
			t.Errorf("createSession called %d times for %d tokens", n, users)
		}
		if n := ev.storeFailures.Load(); n != 0 {
			t.Errorf("%d store failures with Redis up", n)
		}
	})
}

// A Redis node is stopped, then started again. While it is down, every
// replica keeps its own exchanges: at most one session per replica per
// token, however the requests are spread in time (several rounds, with the
// stores' pauses running out between them, so they try Redis again). On a
// cluster, tokens whose keys live on the other masters keep one session
// in all. Once the node is back and the stores have recovered, one
// session per token again.
func TestReplicasNodeStoppedAndRestarted(t *testing.T) {
	onEachDeployment(t, func(t *testing.T, sh *shared) {
		fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
		ev := &storeEvents{}
		clk := newClock()
		rs := threeReplicas(t, fake, sh, ev, clk)
		type user struct {
			id, tok string
		}
		var users []user
		for i := 0; i < 30; i++ {
			email := "u" + itoa(i) + "@example.com"
			tok := legacyToken(email, 100+i)
			if sh.partial && i >= 10 && i < 20 {
				// The outage phase's tokens: half with their keys on the
				// node that will stop, half on the others.
				for n := 1; sh.onDown(exchangeKey(fake, tok)) != (i%2 == 0); n++ {
					tok = legacyToken(email, 100+i+1000*n)
				}
			}
			users = append(users, user{fake.AddUser(authgeartest.User{Email: email}), tok})
		}
		served := func(phase string, u user, res []answer) {
			t.Helper()
			for _, a := range res {
				if !strings.HasPrefix(a.body, "exchanged "+u.id) {
					t.Fatalf("%s: replica %s: %q", phase, a.replica, a.body)
				}
			}
		}

		// Phase 1: Redis up.
		for _, u := range users[:10] {
			served("up", u, storm(rs, u.tok, 9))
			if n := fake.SessionCount(u.id); n != 1 {
				t.Fatalf("up: %d sessions, want 1", n)
			}
		}

		// Phase 2: one node down. Rounds: a burst, one request per replica
		// one after the other, a burst again; between rounds the pauses run
		// out, so the stores go back to the stopped node and fail again.
		sh.down()
		rounds := []func(u user) []answer{
			func(u user) []answer { return storm(rs, u.tok, 9) },
			func(u user) []answer {
				var out []answer
				for _, r := range rs {
					out = append(out, hit(r, u.tok))
				}
				return out
			},
			func(u user) []answer { return storm(rs, u.tok, 9) },
		}
		down := users[10:20]
		for round, f := range rounds {
			for _, u := range down {
				served(fmt.Sprintf("down, round %d", round), u, f(u))
			}
			clk.Advance(pause)
		}
		affected := 0
		for i, u := range down {
			for r, n := range sessionsByReplica(fake, u.id) {
				if n > 1 {
					t.Errorf("down: user %d has %d sessions made by replica %s, want at most 1", 10+i, n, r)
				}
			}
			if sh.onDown(exchangeKey(fake, u.tok)) {
				affected++
			} else if n := fake.SessionCount(u.id); n != 1 {
				t.Errorf("down: user %d, whose keys are on a live master, has %d sessions, want 1", 10+i, n)
			}
		}
		if sh.partial && (affected == 0 || affected == len(down)) {
			t.Fatalf("%d of %d outage tokens on the stopped node; want some on each side", affected, len(down))
		}
		if ev.storeFailures.Load() == 0 {
			t.Error("the observer was not told that the store failed")
		}

		// Phase 3: the node is back; each store recovers on its first call
		// after its pause.
		sh.up()
		clk.Advance(pause)
		for _, r := range rs {
			for _, u := range users[20:] {
				recovered(t, clk, r.store, exchangeKey(fake, u.tok))
			}
		}
		for _, u := range users[20:] {
			served("back", u, storm(rs, u.tok, 9))
			if n := fake.SessionCount(u.id); n != 1 {
				t.Errorf("back: %d sessions, want 1", n)
			}
		}
		// The tokens exchanged during the outage make no new session.
		before := fake.SessionCount("")
		for _, u := range down {
			served("back, outage tokens", u, storm(rs, u.tok, 9))
		}
		if n := fake.SessionCount(""); n != before {
			t.Errorf("tokens exchanged during the outage made %d new sessions after it", n-before)
		}
	})
}

// recovered waits until st answers for key again (a started node can take
// a moment to serve), letting the fake clock end each pause.
func recovered(t *testing.T, clk *clock, st *redisstore.Store, key string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := st.Get(context.Background(), key)
		if err == nil || errors.Is(err, agmigrate.ErrNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store did not recover: %v", err)
		}
		clk.Advance(pause)
		time.Sleep(10 * time.Millisecond) // polling Redis, which we do not control
	}
}
