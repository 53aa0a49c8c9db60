package verifier

import (
	"crypto/sha256"
	"sync"
	"time"
	"unsafe"
)

// DefaultCacheSize is how many verified tokens a verifier remembers.
const DefaultCacheSize = 10000

// tokenKey is the SHA-256 of a token: the cache never holds tokens.
type tokenKey [32]byte

func hashToken(tok string) tokenKey {
	// Hash the string's bytes in place: a []byte(tok) copy would allocate
	// on every request. sha256 only reads them.
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(tok), len(tok)))
}

// tokenCache is a bounded map from token hash to a verified result. A hit
// re-checks the expiry; when full, an expired entry or else an arbitrary
// one makes room. Reads take a shared lock and allocate nothing.
type tokenCache[T any] struct {
	mu  sync.RWMutex
	m   map[tokenKey]cached[T]
	max int
}

type cached[T any] struct {
	v   T
	exp time.Time
}

func newTokenCache[T any](max int) *tokenCache[T] {
	if max <= 0 {
		return nil
	}
	return &tokenCache[T]{m: make(map[tokenKey]cached[T], min(max, 1024)), max: max}
}

func (c *tokenCache[T]) get(k tokenKey, now time.Time) (T, bool) {
	var zero T
	if c == nil {
		return zero, false
	}
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.exp) {
		return zero, false
	}
	return e.v, true
}

func (c *tokenCache[T]) put(k tokenKey, v T, exp, now time.Time) {
	if c == nil || !now.Before(exp) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		c.evictLocked(now)
	}
	c.m[k] = cached[T]{v: v, exp: exp}
}

// evictLocked removes expired entries among a bounded sample, or one
// arbitrary entry when none of them has expired (map order is random).
func (c *tokenCache[T]) evictLocked(now time.Time) {
	const sample = 32
	n, removed := 0, false
	var victim tokenKey
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
