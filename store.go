package agmigrate

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is what Store.Get returns for a key it does not hold.
var ErrNotFound = errors.New("agmigrate: not found in store")

// Store keeps exchange results between requests, so one legacy token gives
// one Authgear session however often it is presented. Keys are hashes and
// values are sealed (see seal.go): a dump of a store holds no usable token.
type Store interface {
	// Get returns the value under key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put stores value under key for ttl.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

// Locker is implemented by stores shared between replicas (redisstore).
// The exchanger takes the lock for a key before exchanging, so that across
// replicas one legacy token gives one session.
type Locker interface {
	// TryLock takes the lock on key for lease. It returns ok false when
	// another holder has it. unlock releases the lock only if it is still
	// the caller's.
	TryLock(ctx context.Context, key string, lease time.Duration) (unlock func(context.Context), ok bool, err error)
}

// Waiter is implemented by shared stores that can tell when a key is put,
// so replicas waiting on another's exchange need not poll.
type Waiter interface {
	// WaitFor returns the value under key once it is put, or an error when
	// ctx ends first.
	WaitFor(ctx context.Context, key string) ([]byte, error)
}

// Generations is implemented by shared stores that can lose their data a
// node at a time (a Redis node started again without persistence).
// Generation names the data generation of the node that holds key, and
// changes whenever that node comes back without its data; fresh asks the
// node now rather than a cached answer. "" means the store cannot say for
// this key. Each replica's local memory uses it to tell a value the store
// lost (kept, and written back: forgetting it would make a second session,
// or bring a spent token back to life) from one deleted there on purpose
// (forgotten).
type Generations interface {
	Generation(ctx context.Context, key string, fresh bool) (string, error)
}

// MemoryStore is a bounded in-process Store, the default. When full, an
// expired entry or else the entry closest to expiry among a sample makes
// room. Safe for concurrent use.
type MemoryStore struct {
	mu      sync.Mutex
	m       map[string]memEntry
	max     int
	now     func() time.Time
	onEvict func() // told when a live exchange is dropped to make room

	// ledger lists the sessions created through this store (ledger.go).
	ledger memLedger
}

type memEntry struct {
	v   []byte
	exp time.Time
}

// NewMemoryStore returns a store holding at most max entries (10,000 when
// max <= 0).
func NewMemoryStore(max int) *MemoryStore {
	if max <= 0 {
		max = 10000
	}
	return &MemoryStore{m: make(map[string]memEntry), max: max, now: time.Now}
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return nil, ErrNotFound
	}
	if !s.now().Before(e.exp) {
		delete(s.m, key)
		return nil, ErrNotFound
	}
	return e.v, nil
}

// Put implements Store.
func (s *MemoryStore) Put(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	now := s.now()
	s.mu.Lock()
	var lost bool
	if _, ok := s.m[key]; !ok && len(s.m) >= s.max {
		lost = s.evictLocked(now)
	}
	s.m[key] = memEntry{v: append([]byte(nil), value...), exp: now.Add(ttl)}
	onEvict := s.onEvict
	s.mu.Unlock()
	if lost && onEvict != nil {
		onEvict()
	}
	return nil
}

// Len returns how many entries the store holds.
func (s *MemoryStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// evictLocked makes room; it reports whether a live exchange was dropped.
func (s *MemoryStore) evictLocked(now time.Time) bool {
	const sample = 16
	var victim string
	var soonest time.Time
	n := 0
	for k, e := range s.m {
		if !now.Before(e.exp) {
			delete(s.m, k)
			return false
		}
		if n == 0 || e.exp.Before(soonest) {
			victim, soonest = k, e.exp
		}
		if n++; n >= sample {
			break
		}
	}
	delete(s.m, victim)
	return strings.HasPrefix(victim, "agm:x:")
}

// lockOrWait takes the shared lock for key, or waits until its holder has
// put the result (got false), or until the holder's lease runs out and the
// lock can be taken over. lease must outlive the work the lock guards.
func lockOrWait(ctx context.Context, store Store, l Locker, key string, lease time.Duration) (unlock func(context.Context), got bool, err error) {
	wait := 20 * time.Millisecond
	for {
		unlock, ok, err := l.TryLock(ctx, key, lease)
		if err != nil || ok {
			return unlock, ok, err
		}
		if w, isWaiter := store.(Waiter); isWaiter {
			wctx, cancel := context.WithTimeout(ctx, min(lease, time.Second))
			_, werr := w.WaitFor(wctx, key)
			early := wctx.Err() == nil
			cancel()
			if werr == nil {
				return nil, false, nil
			}
			if early {
				// The wait failed before its time (the store in trouble):
				// back off instead of retrying the lock in a tight loop.
				select {
				case <-time.After(wait):
					wait = min(wait*2, 500*time.Millisecond)
				case <-ctx.Done():
					return nil, false, ctx.Err()
				}
			}
		} else {
			select {
			case <-time.After(wait):
				wait = min(wait*2, 500*time.Millisecond)
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
		}
		if _, err := store.Get(ctx, key); err == nil {
			return nil, false, nil
		}
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
	}
}
