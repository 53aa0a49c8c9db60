package verifier

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// remoteKeys serves keys from a JWKS URL, held in a jwx jwk.Cache (which
// fetches and refreshes the set in the background). Lookups read an
// immutable snapshot with one atomic load. Behaviour the issue trackers of
// other verifiers keep asking for:
//   - concurrent fetches are merged into one (a flight);
//   - an unknown kid starts at most one refetch per cool-down; requests
//     arriving while it runs wait for it, and never for more than one fetch;
//     after it, an unknown kid fails at once until the cool-down passes;
//   - a fetched set replaces the snapshot whole, so a removed key stops
//     verifying;
//   - a failed fetch keeps the last good keys serving;
//   - every fetch has a timeout and runs detached from the request that
//     triggered it.
type remoteKeys struct {
	url      string
	cache    *jwk.Cache
	stop     context.CancelFunc
	allowed  []string
	cooldown time.Duration
	timeout  time.Duration
	sync     time.Duration // how often the snapshot is compared with the cache
	now      func() time.Time

	snap atomic.Pointer[keySnapshot]

	mu          sync.Mutex
	flight      *flight
	lastRefetch time.Time
	syncing     atomic.Bool
}

type keySnapshot struct {
	set       jwk.Set
	keys      map[string]*key
	malformed map[string]string // kid → why the set's key of that kid is unusable
	loaded    time.Time
}

type flight struct {
	done chan struct{}
	err  error
}

type remoteOptions struct {
	client          *http.Client
	allowed         []string
	cooldown        time.Duration
	timeout         time.Duration
	refreshInterval time.Duration
	now             func() time.Time
}

// newRemoteKeys registers url in a new jwk.Cache and fetches it once.
func newRemoteKeys(ctx context.Context, url string, o remoteOptions) (*remoteKeys, error) {
	bg, stop := context.WithCancel(context.Background())
	cache := jwk.NewCache(bg)
	opts := []jwk.RegisterOption{
		jwk.WithHTTPClient(o.client),
		jwk.WithMinRefreshInterval(o.refreshInterval),
		jwk.WithRefreshInterval(o.refreshInterval),
	}
	for _, p := range fetchParseOptions {
		opts = append(opts, p)
	}
	if err := cache.Register(url, opts...); err != nil {
		stop()
		return nil, configError("JWKS URL %q: %v", url, err)
	}
	r := &remoteKeys{url: url, cache: cache, stop: stop, allowed: o.allowed, cooldown: o.cooldown,
		timeout: o.timeout, sync: min(o.refreshInterval, time.Minute), now: o.now}
	// The first fetch does not start the cool-down: a key rotated in just
	// after start-up is still picked up at once.
	r.mu.Lock()
	first := r.startLocked(true)
	r.lastRefetch = time.Time{}
	r.mu.Unlock()
	if err := r.wait(ctx, first); err != nil {
		stop()
		return nil, err
	}
	return r, nil
}

func (r *remoteKeys) close() { r.stop() }

func (r *remoteKeys) lookup(ctx context.Context, kid string, now time.Time) (*key, error) {
	s := r.snap.Load()
	if s != nil {
		if k := s.find(kid); k != nil {
			if now.Sub(s.loaded) > r.sync {
				r.syncSoon()
			}
			return k, nil
		}
		if why, ok := s.malformed[kid]; ok {
			return nil, invalid(ErrUnknownKey, "kid %q names a malformed key of the set (%s)", kid, why)
		}
	}
	// Unknown kid: join a fetch under way, or start one if the cool-down
	// allows, or give up at once.
	r.mu.Lock()
	f := r.flight
	if f == nil {
		if !r.lastRefetch.IsZero() && r.now().Sub(r.lastRefetch) < r.cooldown {
			r.mu.Unlock()
			if s == nil {
				return nil, fmt.Errorf("%w: JWKS %s not fetched yet", ErrUnavailable, r.url)
			}
			return nil, invalid(ErrUnknownKey, "kid %q", kid)
		}
		f = r.startLocked(true)
	}
	r.mu.Unlock()
	if err := r.wait(ctx, f); err != nil && r.snap.Load() == nil {
		return nil, err
	}
	if k := r.snap.Load().find(kid); k != nil {
		return k, nil
	}
	return nil, invalid(ErrUnknownKey, "kid %q", kid)
}

// holds reports whether k is in the current key set, so a cached
// verification made with a key that a refresh withdrew no longer counts.
// Like lookup, it picks up the cache's background refresh when the
// snapshot is old, so a cache hit alone keeps the set current.
func (r *remoteKeys) holds(k *key, now time.Time) bool {
	s := r.snap.Load()
	if s == nil {
		return false
	}
	if now.Sub(s.loaded) > r.sync {
		r.syncSoon()
	}
	return !k.withdrawn.Load()
}

func (s *keySnapshot) find(kid string) *key {
	if s == nil {
		return nil
	}
	if k, ok := s.keys[kid]; ok {
		return k
	}
	return nil
}

func (r *remoteKeys) start(force bool) *flight {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.flight != nil {
		return r.flight
	}
	return r.startLocked(force)
}

// startLocked launches a fetch (force: from the network; otherwise just a
// read of what the cache's background refresh has).
func (r *remoteKeys) startLocked(force bool) *flight {
	f := &flight{done: make(chan struct{})}
	r.flight = f
	if force {
		r.lastRefetch = r.now()
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
		defer cancel()
		var set jwk.Set
		var err error
		if force {
			set, err = r.cache.Refresh(ctx, r.url)
		} else {
			set, err = r.cache.Get(ctx, r.url)
		}
		if err == nil {
			err = r.install(set)
		} else {
			err = fmt.Errorf("%w: fetching JWKS %s: %v", ErrUnavailable, r.url, err)
		}
		r.mu.Lock()
		f.err = err
		r.flight = nil
		r.mu.Unlock()
		close(f.done)
	}()
	return f
}

// install replaces the snapshot when the set is new.
func (r *remoteKeys) install(set jwk.Set) error {
	old := r.snap.Load()
	if old != nil && old.set == set {
		r.snap.Store(&keySnapshot{set: set, keys: old.keys, malformed: old.malformed, loaded: r.now()})
		return nil
	}
	keys, malformed, err := keysFromSet(set, r.allowed)
	if err != nil {
		return fmt.Errorf("%w: JWKS %s: %v", ErrUnavailable, r.url, err)
	}
	if old != nil {
		// A key that is still published keeps its identity, and with it
		// the cached verifications it made; a withdrawn one loses them.
		for kid, k := range keys {
			if prev, ok := old.keys[kid]; ok && prev.same(k) {
				keys[kid] = prev
			}
		}
	}
	r.snap.Store(&keySnapshot{set: set, keys: keys, malformed: malformed, loaded: r.now()})
	if old != nil {
		for kid, prev := range old.keys {
			if keys[kid] != prev {
				prev.withdrawn.Store(true)
			}
		}
	}
	return nil
}

// syncSoon picks up the cache's background refresh without blocking.
func (r *remoteKeys) syncSoon() {
	if !r.syncing.CompareAndSwap(false, true) {
		return
	}
	f := r.start(false)
	go func() {
		<-f.done
		r.syncing.Store(false)
	}()
}

func (r *remoteKeys) wait(ctx context.Context, f *flight) error {
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for JWKS %s: %v", ErrUnavailable, r.url, ctx.Err())
	}
}
