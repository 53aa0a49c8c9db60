package redisstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/redis/go-redis/v9"
)

// A lock whose holder died (it never releases) holds the others back only
// until its lease runs out.
func TestOrphanedLockExpires(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	r := newReplica(t, fake, rs.client(), "a", &storeEvents{}, nil, nil)
	tok := legacyToken("alice@example.com", 2)
	// A dead replica's lock: taken, never released, 1.5 s lease.
	_, lockKey, _ := redisstore.KeyNames(r.store, exchangeKey(fake, tok))
	rdb := rs.client()
	ctx := context.Background()
	if err := rdb.Set(ctx, lockKey, "dead-replica", 1500*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	a := hit(r, tok)
	if !strings.HasPrefix(a.body, "exchanged "+alice) {
		t.Fatalf("after the orphaned lock: %q", a.body)
	}
	if v, _ := rdb.Get(ctx, lockKey).Result(); v == "dead-replica" {
		t.Error("the exchange went on while another holder's lock was live")
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
	rdbA := rs.client()
	locked := make(chan struct{})
	var once sync.Once
	rdbA.AddHook(afterHook(func(cmd redis.Cmder) {
		if b, ok := cmd.(*redis.BoolCmd); ok && cmd.Name() == "set" && b.Val() {
			once.Do(func() { close(locked) })
		}
	}))
	a := newReplica(t, fake, rdbA, "a", &storeEvents{}, nil, short)
	b := newReplica(t, fake, rs.client(), "b", &storeEvents{}, nil, nil)
	tok := legacyToken("alice@example.com", 3)
	// The first lookup (replica a's) stalls for 2 s.
	fake.SetFault("getUserByLoginID", authgeartest.Fault{Latency: 2 * time.Second, Times: 1})
	var wg sync.WaitGroup
	var first, second answer
	wg.Add(2)
	go func() { defer wg.Done(); first = hit(a, tok) }()
	<-locked // b starts once a holds the lock
	go func() { defer wg.Done(); second = hit(b, tok) }()
	wg.Wait()
	if !strings.HasPrefix(first.body, "legacy") {
		t.Errorf("the stalled replica should fail open: %q", first.body)
	}
	if !strings.HasPrefix(second.body, "exchanged "+alice) {
		t.Errorf("the other replica should complete the exchange: %q", second.body)
	}
	// a's exchange ended with its timeout, before its request returned:
	// nothing of it can make a session any more.
	if n := fake.SessionCount(alice); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
}

// afterHook calls f with every command once the client has run it.
type afterHook func(redis.Cmder)

func (f afterHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (f afterHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		f(cmd)
		return err
	}
}
func (f afterHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// failingWaiter is a store whose waits fail at once, as a shared store in
// trouble may.
type failingWaiter struct{ *redisstore.Store }

func (failingWaiter) WaitFor(context.Context, string) ([]byte, error) {
	return nil, errors.New("waiter broken")
}

// While another replica holds the lock, a replica whose waits fail does
// not retry the lock in a tight loop (agmigrate's lock-or-wait backs off).
func TestLockRetriesBackOff(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	rdb := rs.client()
	sp := newSpy()
	rdb.AddHook(sp)
	r := newReplica(t, fake, rdb, "a", &storeEvents{}, nil, func(c *agmigrate.Config) {
		c.Store = failingWaiter{c.Store.(*redisstore.Store)}
	})
	tok := legacyToken("alice@example.com", 5)
	_, lockKey, _ := redisstore.KeyNames(r.store, exchangeKey(fake, tok))
	if err := rs.client().Set(context.Background(), lockKey, "dead-replica", 1500*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if a := hit(r, tok); !strings.HasPrefix(a.body, "exchanged "+alice) {
		t.Fatalf("after the orphaned lock: %q", a.body)
	}
	// 1.5 s of waiting with a back-off growing to 500 ms: a handful of
	// tries; a tight loop makes thousands.
	if n := sp.count("set"); n > 20 {
		t.Errorf("%d SET NX while a lock was held for 1.5 s: the waiter spins", n)
	}
}
