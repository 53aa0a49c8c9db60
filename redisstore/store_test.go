package redisstore_test

import (
	"context"
	"errors"
	"net"
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
	"github.com/redis/go-redis/v9"
)

// clock is a fake clock for the stores' pauses: it moves only when the
// test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts at the real time, as the legacy tokens the tests mint do.
func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// spy is a go-redis hook that counts the commands a client sends, can hold
// one command until released, and can fail the next command as a broken
// connection would.
type spy struct {
	mu       sync.Mutex
	counts   map[string]int
	holdCmd  string        // a command name to hold once
	held     chan struct{} // closed when the held command arrives
	release  chan struct{} // closed by the test to let it go on
	failNext atomic.Bool
}

func newSpy() *spy { return &spy{counts: map[string]int{}} }

func (s *spy) hold(cmd string) {
	s.mu.Lock()
	s.holdCmd, s.held, s.release = cmd, make(chan struct{}), make(chan struct{})
	s.mu.Unlock()
}

func (s *spy) count(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[name]
}

func (s *spy) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.counts {
		n += c
	}
	return n
}

func (s *spy) DialHook(next redis.DialHook) redis.DialHook { return next }

func (s *spy) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if err := s.enter(cmd); err != nil {
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (s *spy) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, cmd := range cmds {
			if err := s.enter(cmd); err != nil {
				cmd.SetErr(err)
				return err
			}
		}
		return next(ctx, cmds)
	}
}

var errInjected = &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset (injected)")}

func (s *spy) enter(cmd redis.Cmder) error {
	s.mu.Lock()
	s.counts[cmd.Name()]++
	var held, release chan struct{}
	if s.holdCmd != "" && cmd.Name() == s.holdCmd {
		held, release, s.holdCmd = s.held, s.release, ""
	}
	s.mu.Unlock()
	if held != nil {
		close(held)
		<-release
	}
	if s.failNext.CompareAndSwap(true, false) {
		return errInjected
	}
	return nil
}

// opTimeout is generous: the tests run under -race on a busy machine, and
// a store call that times out pauses Redis, which would change what the
// test sees. A stopped node is refused at once whatever the timeout.
const opTimeout = 5 * time.Second

func newStore(t *testing.T, rdb redis.UniversalClient, o redisstore.Options) *redisstore.Store {
	t.Helper()
	if o.OpTimeout == 0 {
		o.OpTimeout = opTimeout
	}
	st, err := redisstore.New(rdb, o)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// A caller that gives up in the middle of a store call does not make the
// store think Redis is down: the next call still goes to Redis.
func TestCancelledCallerDoesNotPauseRedis(t *testing.T) {
	rs := startRedis(t)
	rdb := rs.client()
	sp := newSpy()
	rdb.AddHook(sp)
	st := newStore(t, rdb, redisstore.Options{Now: newClock().Now})
	ctx := context.Background()
	if err := st.Put(ctx, "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	sp.hold("get")
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := st.Get(rctx, "k"); done <- err }()
	<-sp.held
	cancel() // the request is aborted while its Get is on the wire
	close(sp.release)
	<-done
	before := sp.count("get")
	v, err := st.Get(ctx, "k")
	if err != nil || string(v) != "v" {
		t.Fatalf("the call after a cancelled one: %q, %v (want the value from Redis)", v, err)
	}
	if sp.count("get") != before+1 {
		t.Errorf("the call after a cancelled one did not reach Redis")
	}
}

// An already cancelled context does not count as a Redis failure either.
func TestCancelledContextIsNotAFailure(t *testing.T) {
	rs := startRedis(t)
	st := newStore(t, rs.client(), redisstore.Options{Now: newClock().Now})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _ = st.Get(ctx, "absent")
	_, _, _ = st.TryLock(ctx, "k", time.Second)
	if _, err := st.Get(context.Background(), "absent"); !errors.Is(err, agmigrate.ErrNotFound) {
		t.Fatalf("after calls with a cancelled context: %v, want ErrNotFound from Redis", err)
	}
}

// A lock is released even while the store is pausing after a failure:
// otherwise the other replicas wait for the lease to run out.
func TestUnlockWhilePaused(t *testing.T) {
	rs := startRedis(t)
	rdb := rs.client()
	sp := newSpy()
	rdb.AddHook(sp)
	st := newStore(t, rdb, redisstore.Options{Now: newClock().Now})
	ctx := context.Background()
	unlock, ok, err := st.TryLock(ctx, "k", time.Hour)
	if err != nil || !ok {
		t.Fatalf("TryLock: %v %v", ok, err)
	}
	sp.failNext.Store(true)
	if _, err := st.Get(ctx, "other"); err == nil || errors.Is(err, agmigrate.ErrNotFound) {
		t.Fatalf("the injected failure: %v", err)
	}
	if _, err := st.Get(ctx, "other"); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("after a failure the store should pause: %v", err)
	}
	unlock(ctx)
	_, lockKey, _ := redisstore.KeyNames(st, "k")
	if n := rs.client().Exists(ctx, lockKey).Val(); n != 0 {
		t.Error("the lock is still held after unlock while the store was paused")
	}
}

// The store pauses after a failure and tries Redis again, alone, once the
// pause is over; it recovers by itself when Redis answers.
func TestPauseAndRecovery(t *testing.T) {
	rs := startRedis(t)
	rdb := rs.client()
	sp := newSpy()
	rdb.AddHook(sp)
	clk := newClock()
	st := newStore(t, rdb, redisstore.Options{Pause: time.Second, Now: clk.Now})
	ctx := context.Background()
	rs.stop()
	if _, err := st.Get(ctx, "k"); err == nil || errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("Redis stopped: %v", err)
	}
	calls := sp.total()
	for i := 0; i < 10; i++ {
		if _, err := st.Get(ctx, "k"); !errors.Is(err, redisstore.ErrUnavailable) {
			t.Fatalf("pausing: %v", err)
		}
	}
	if sp.total() != calls {
		t.Errorf("%d calls reached the client while paused", sp.total()-calls)
	}
	clk.Advance(time.Second)
	if _, err := st.Get(ctx, "k"); err == nil || errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("after the pause, with Redis still down, the store should try again: %v", err)
	}
	rs.start()
	if _, err := st.Get(ctx, "k"); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("the failed retry starts a new pause: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := st.Get(ctx, "k"); !errors.Is(err, agmigrate.ErrNotFound) {
		t.Fatalf("Redis back: %v", err)
	}
}

// A waiter whose subscription is refused (here by an ACL) does not spin on
// the lock: it waits with a back-off, and takes the lock when the lease of
// a dead holder runs out.
func TestWaitBacksOffWhenSubscribeFails(t *testing.T) {
	rs := startRedis(t)
	ctx := context.Background()
	if err := rs.client().Do(ctx, "ACL", "SETUSER", "default", "resetchannels").Err(); err != nil {
		t.Fatal(err)
	}
	rdb := rs.client()
	sp := newSpy()
	rdb.AddHook(sp)
	st := newStore(t, rdb, redisstore.Options{})
	_, lockKey, _ := redisstore.KeyNames(st, "k")
	if err := rs.client().Set(ctx, lockKey, "dead-replica", 1500*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 1200*time.Millisecond)
	defer cancel()
	for wctx.Err() == nil { // what agmigrate does while another replica holds the lock
		_, ok, err := st.TryLock(wctx, "k", time.Second)
		if ok || err != nil {
			t.Fatalf("TryLock: %v %v", ok, err)
		}
		_, _ = st.WaitFor(wctx, "k")
	}
	if n := sp.count("set"); n > 20 {
		t.Errorf("%d SET NX in 1.2 s: the waiter spins", n)
	}
	if n := sp.count("get"); n > 40 {
		t.Errorf("%d GET in 1.2 s: the waiter spins", n)
	}
	if !strings.Contains(lockKey, "lock") {
		t.Fatal(lockKey)
	}
}

// What Redis holds after an exchange gives away no token: keys are hashes
// and values are sealed.
func TestDumpHoldsNoTokens(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	r := newReplica(t, fake, rs.client(), "a", &storeEvents{}, nil, nil)
	tok := legacyToken("alice@example.com", 4)
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "legacy_session", Value: tok})
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
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

// A Ring with no shard up makes go-redis panic on subscribe; the store
// answers with an error instead, and pauses.
func TestRingWithNoShardUp(t *testing.T) {
	needRedis(t)
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:" + itoa(freePort(t))},
		DialTimeout: dialTimeout, MaxRetries: -1, HeartbeatFrequency: time.Hour})
	t.Cleanup(func() { ring.Close() })
	_ = ring.Close() // closed: no shard to be had
	st := newStore(t, ring, redisstore.Options{Now: newClock().Now})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := st.WaitFor(ctx, "k"); err == nil || ctx.Err() != nil {
		t.Fatalf("WaitFor on a Ring with no shard: %v (want an error at once)", err)
	}
	if _, err := st.Get(ctx, "k"); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("after the failure the store should pause: %v", err)
	}
}
