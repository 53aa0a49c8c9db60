package agmigrate_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

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
