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
// for byte, the one that was verified, so no hash collision can ever pass
// an unverified token; and it re-checks the expiry. Entries hold the token
// itself, as the request that carried it did; nothing else sees them.
// Reads take a shared lock and allocate nothing.
//
// When full, the oldest entry makes room (first in, first out): tokens
// arrive at about the order they were issued, so the oldest is the
// nearest to expiry, and finding it costs one step of a ring instead of a
// search, on every first-seen token once the cache has filled.
//
// SHA-256 would do as the key, but on a 1 KB token it costs more than the
// whole rest of a cache hit, and even a fast hash of the whole token is
// half of one. So a cache of compact JWS (newJWSCache) hashes only the
// token's last letters, which lie inside its signature: a signature names
// its token among those that verify, and a token that borrows a cached
// one's signature still has to equal it to hit.
type tokenCache[T any] struct {
	seed  maphash.Seed
	jws   bool // key on the last signatureKey letters
	mu    sync.RWMutex
	m     map[uint64]cached[T]
	order []uint64 // the keys of m in the order they came; a ring once full
	next  int      // the oldest key's place in order, once full
	max   int
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
	n := min(max, 1024)
	return &tokenCache[T]{seed: maphash.MakeSeed(), m: make(map[uint64]cached[T], n), order: make([]uint64, 0, n), max: max}
}

// signatureKey is how many of a JWS's last letters key it: fewer than
// any signature this package verifies has (HS256: 43), so all of them
// are signature, 240 bits of it.
const signatureKey = 40

// newJWSCache is newTokenCache for a verifier whose cached tokens are
// compact JWS, keyed by their last signatureKey letters. An opaque token
// (an Authgear verifier with OpaqueTokens) is keyed the same way: Authgear
// makes them random throughout.
func newJWSCache[T any](max int) *tokenCache[T] {
	c := newTokenCache[T](max)
	if c != nil {
		c.jws = true
	}
	return c
}

func (c *tokenCache[T]) hash(tok string) uint64 {
	if c.jws && len(tok) > signatureKey {
		tok = tok[len(tok)-signatureKey:]
	}
	return maphash.String(c.seed, tok)
}

// slot names a token's place in the cache: its hash, computed once for the
// lookup and the insert that follows a miss.
type slot uint64

// get returns the cached value for tok, if it has not expired and its key
// is still held by keys, and tok's slot for put.
func (c *tokenCache[T]) get(tok string, now time.Time, keys keyHolder) (T, slot, bool) {
	var zero T
	if c == nil {
		return zero, 0, false
	}
	h := c.hash(tok)
	c.mu.RLock()
	e, ok := c.m[h]
	c.mu.RUnlock()
	// A plain comparison: timing can tell an attacker nothing, because a
	// comparison happens only after a 64-bit hash under a secret seed
	// matched, which a token the attacker made matches by chance alone.
	if !ok || e.token != tok || !now.Before(e.exp) {
		return zero, slot(h), false
	}
	if e.key != nil && !keys.holds(e.key, now) {
		return zero, slot(h), false
	}
	return e.v, slot(h), true
}

// put caches v for tok, whose slot get returned, until exp.
func (c *tokenCache[T]) put(at slot, tok string, v T, k *key, exp, now time.Time) {
	if c == nil || !now.Before(exp) {
		return
	}
	h := uint64(at)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[h]; !ok {
		if len(c.order) < c.max {
			c.order = append(c.order, h)
		} else {
			delete(c.m, c.order[c.next])
			c.order[c.next] = h
			c.next = (c.next + 1) % c.max
		}
	}
	c.m[h] = cached[T]{token: tok, v: v, exp: exp, key: k}
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
