package redisstore_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/redisstore"
)

// rateOpTimeout is generous: under -race on a busy machine a store call
// that times out would pause Redis and change what the test sees.
const rateOpTimeout = 5 * time.Second

func rateStore(t *testing.T, sh *shared, now func() time.Time) *redisstore.Store {
	t.Helper()
	st, err := redisstore.New(sh.client(), redisstore.Options{OpTimeout: rateOpTimeout, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// between: d is in (hi-slack, hi]: what a wait measured on Redis's clock
// can be a few moments after the reservation it depends on.
func between(d, hi time.Duration) bool { return d > hi-5*time.Second && d <= hi }

// GCRA on Redis's clock: a burst, then one call per interval, reserved in
// turn; a refusal takes nothing; a pause empties the bucket. On a single
// node and on a cluster (the budget's key carries a hash tag).
func TestRateLimiterGCRA(t *testing.T) {
	onEachDeployment(t, func(t *testing.T, sh *shared) {
		ctx := context.Background()
		st := rateStore(t, sh, nil)
		l := agmigrate.Limit{Interval: time.Minute, Burst: 3}
		key := "agm:g:" + t.Name()
		if name := redisstore.RateKeyName(st, key); !strings.Contains(name, "{"+key+"}") {
			t.Errorf("budget key %q without its hash tag", name)
		}
		type step struct {
			maxWait  time.Duration
			ok       bool
			waitUpTo time.Duration
		}
		for i, s := range []step{
			{0, true, 0}, {0, true, 0}, {0, true, 0},
			{0, false, time.Minute}, {0, false, time.Minute}, // refusals take nothing
			{2 * time.Minute, true, time.Minute},
			{3 * time.Minute, true, 2 * time.Minute},
			{time.Minute, false, 3 * time.Minute},
		} {
			wait, ok, err := st.Reserve(ctx, key, l, s.maxWait)
			if err != nil {
				t.Fatal(err)
			}
			if ok != s.ok || (s.waitUpTo == 0 && wait != 0) || (s.waitUpTo > 0 && !between(wait, s.waitUpTo)) {
				t.Fatalf("step %d: ok %v wait %s, want %v and up to %s", i, ok, wait, s.ok, s.waitUpTo)
			}
		}
		// The stored time is an exact integer (microseconds), not a
		// rounded float.
		raw, err := sh.client().Get(ctx, redisstore.RateKeyName(st, key)).Result()
		if _, perr := strconv.ParseInt(raw, 10, 64); err != nil || perr != nil {
			t.Errorf("stored %q: %v %v", raw, err, perr)
		}

		paused := key + ":paused"
		if _, ok, _ := st.Reserve(ctx, paused, l, 0); !ok {
			t.Fatal("a new budget refused")
		}
		if err := st.Pause(ctx, paused, l, 10*time.Minute); err != nil {
			t.Fatal(err)
		}
		if wait, ok, _ := st.Reserve(ctx, paused, l, 0); ok || !between(wait, 10*time.Minute) {
			t.Errorf("during the pause: ok %v, wait %s", ok, wait)
		}
		if wait, ok, _ := st.Reserve(ctx, paused, l, 11*time.Minute); !ok || !between(wait, 10*time.Minute) {
			t.Errorf("the first after the pause: ok %v, wait %s", ok, wait)
		}
		if wait, ok, _ := st.Reserve(ctx, paused, l, 12*time.Minute); !ok || !between(wait, 11*time.Minute) {
			t.Errorf("the second after the pause (the bucket was emptied): ok %v, wait %s", ok, wait)
		}
		// A pause never shortens a longer wait.
		if err := st.Pause(ctx, paused, l, time.Second); err != nil {
			t.Fatal(err)
		}
		if wait, ok, _ := st.Reserve(ctx, paused, l, 0); ok || !between(wait, 12*time.Minute) {
			t.Errorf("after a shorter pause: ok %v, wait %s", ok, wait)
		}
	})
}

// Replicas with clocks an hour apart draw from one bucket: 300 calls at
// once over three stores, exactly the burst of 50 passes.
func TestRateLimiterSharedAcrossReplicas(t *testing.T) {
	onEachDeployment(t, func(t *testing.T, sh *shared) {
		ctx := context.Background()
		var stores []*redisstore.Store
		for _, skew := range []time.Duration{-time.Hour, 0, time.Hour} {
			stores = append(stores, rateStore(t, sh, func() time.Time { return time.Now().Add(skew) }))
		}
		l := agmigrate.Limit{Interval: time.Hour, Burst: 50}
		var passed atomic.Int64
		var wg sync.WaitGroup
		for i := range 300 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := stores[i%3].Reserve(ctx, "agm:g:shared", l, 0)
				if err != nil {
					t.Error(err)
				}
				if ok {
					passed.Add(1)
				}
			}()
		}
		wg.Wait()
		if passed.Load() != 50 {
			t.Errorf("%d passed, want the burst of 50", passed.Load())
		}
	})
}

// Redis down: the store says so (the governor then keeps to this
// replica's share), and answers again once Redis is back.
func TestRateLimiterRedisDown(t *testing.T) {
	rs := startRedis(t)
	clk := newClock()
	st, err := redisstore.New(rs.client(), redisstore.Options{OpTimeout: rateOpTimeout, Now: clk.Now, Pause: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l := agmigrate.Limit{Interval: time.Second, Burst: 1}
	rs.stop()
	if _, ok, err := st.Reserve(ctx, "agm:g:down", l, 0); err == nil || ok {
		t.Errorf("Redis down: ok %v, err %v", ok, err)
	}
	if err := st.Pause(ctx, "agm:g:down", l, time.Second); err == nil {
		t.Error("Redis down: Pause said nothing")
	}
	rs.start()
	clk.Advance(time.Second) // the store's own pause after the failure
	if _, ok, err := st.Reserve(ctx, "agm:g:down", l, 0); err != nil || !ok {
		t.Errorf("Redis back: ok %v, err %v", ok, err)
	}
}

// An Authgear 429 seen by one replica pauses the budget for all: the
// next replica's exchange is throttled without calling Authgear (single
// node and cluster).
func TestRateLimited429PausesEveryReplica(t *testing.T) {
	onEachDeployment(t, func(t *testing.T, sh *shared) {
		fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
		fake.AddUser(authgeartest.User{Email: "a@example.com"})
		fake.AddUser(authgeartest.User{Email: "b@example.com"})
		ev := &storeEvents{}
		cfg := func(c *agmigrate.Config) {
			c.RateLimitBackOff = time.Hour // no timing: the pause outlasts the test
			c.QueueWait = time.Nanosecond  // and nobody waits for it
		}
		a := newReplica(t, fake, sh.client(), "a", ev, nil, cfg)
		b := newReplica(t, fake, sh.client(), "b", ev, nil, cfg)
		fake.SetFault("createSession", authgeartest.Fault{Times: 1, GraphQLError: &authgeartest.GraphQLError{
			Message: "request rate limited", ErrorName: "TooManyRequest", Reason: "RateLimited"}})
		if got := hit(a, legacyToken("a@example.com", 1)); !strings.HasPrefix(got.body, "legacy") {
			t.Fatalf("replica a over Authgear's limit: %q", got.body)
		}
		lookups := fake.Calls("getUserByLoginID")
		if got := hit(b, legacyToken("b@example.com", 2)); !strings.HasPrefix(got.body, "legacy") {
			t.Errorf("replica b during the pause: %q", got.body)
		}
		if fake.Calls("createSession") != 1 || fake.Calls("getUserByLoginID") != lookups {
			t.Errorf("replica b called Authgear during the pause: %v", fake.AllCalls())
		}
		v, _ := ev.outcomes.Load(agmigrate.OutcomeThrottled)
		if v == nil || v.(*atomic.Int64).Load() != 2 {
			t.Errorf("throttled outcomes: %v", v)
		}
	})
}
