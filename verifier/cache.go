package verifier

import (
	"hash/maphash"
	"net/http"
	"sync"
	"time"
)

// DefaultCacheSize is how many verified tokens a verifier remembers.
const DefaultCacheSize = 10000

// tokenCache is a bounded map from token to a verified result, keyed by a
// seeded hash of the token. A hit needs the presented token to equal, byte
// for byte (compared in constant time), the one that was verified, so no
// hash collision can ever pass an unverified token; and it re-checks the
// expiry. Entries hold the token itself, as the request that carried it
// did; nothing else sees them. When full, an expired entry or else an
// arbitrary one makes room. Reads take a shared lock and allocate nothing.
//
// SHA-256 would do as the key, but on a 1 KB token it costs more than the
// whole rest of a cache hit.
type tokenCache[T any] struct {
	seed maphash.Seed
	mu   sync.RWMutex
	m    map[uint64]cached[T]
	max  int
}

type cached[T any] struct {
	token string
	v     T
	exp   time.Time
	key   *key // the key that verified the token; nil for answers of an endpoint
}

// keyHolder says whether a key still belongs to a verifier's key set. A
// cached verification stands only while its key does: a key withdrawn from
// the JWKS takes the tokens it verified with it.
type keyHolder interface {
	holds(k *key, now time.Time) bool
}

// newTokenCache returns a cache of max entries: DefaultCacheSize for 0,
// none (nil, which every method accepts) for a negative max.
func newTokenCache[T any](max int) *tokenCache[T] {
	if max == 0 {
		max = DefaultCacheSize
	}
	if max < 0 {
		return nil
	}
	return &tokenCache[T]{seed: maphash.MakeSeed(), m: make(map[uint64]cached[T], min(max, 1024)), max: max}
}

// get returns the cached value for tok, if it has not expired and its key
// is still held by keys.
func (c *tokenCache[T]) get(tok string, now time.Time, keys keyHolder) (T, bool) {
	var zero T
	if c == nil {
		return zero, false
	}
	h := maphash.String(c.seed, tok)
	c.mu.RLock()
	e, ok := c.m[h]
	c.mu.RUnlock()
	// A plain comparison: timing can tell an attacker nothing, because a
	// comparison happens only after a 64-bit hash under a secret seed
	// matched, which a token the attacker made matches by chance alone.
	if !ok || e.token != tok || !now.Before(e.exp) {
		return zero, false
	}
	if e.key != nil && !keys.holds(e.key, now) {
		return zero, false
	}
	return e.v, true
}

func (c *tokenCache[T]) put(tok string, v T, k *key, exp, now time.Time) {
	if c == nil || !now.Before(exp) {
		return
	}
	h := maphash.String(c.seed, tok)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[h]; !ok && len(c.m) >= c.max {
		c.evictLocked(now)
	}
	c.m[h] = cached[T]{token: tok, v: v, exp: exp, key: k}
}

// evictLocked removes expired entries among a bounded sample, or one
// arbitrary entry when none of them has expired (map order is random).
func (c *tokenCache[T]) evictLocked(now time.Time) {
	const sample = 32
	n, removed := 0, false
	var victim uint64
	for k, e := range c.m {
		if !now.Before(e.exp) {
			delete(c.m, k)
			removed = true
		}
		victim = k
		if n++; n >= sample {
			break
		}
	}
	if !removed {
		delete(c.m, victim)
	}
}

func (c *tokenCache[T]) len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// defaultHTTP is the client verifiers use when given none.
func defaultHTTP(hc *http.Client) *http.Client {
	if hc == nil {
		return &http.Client{Timeout: 10 * time.Second}
	}
	return hc
}
