package verifier

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The cache stays within its bound and makes room by dropping the entry
// that came first; putting a token it holds again takes no room.
func TestTokenCacheEvictsOldest(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newTokenCache[int](3)
	put := func(tok string, v int) {
		t.Helper()
		_, at, ok := c.get(tok, now, nil)
		if ok {
			t.Fatalf("%s: a hit before it was put", tok)
		}
		c.put(at, tok, v, nil, now.Add(time.Hour), now)
	}
	has := func(tok string) bool {
		_, _, ok := c.get(tok, now, nil)
		return ok
	}
	for i := range 3 {
		put(fmt.Sprint("t", i), i)
	}
	// t1 again: same slot, no eviction.
	_, at, _ := c.get("t1", now, nil)
	c.put(at, "t1", 10, nil, now.Add(time.Hour), now)
	if v, _, ok := c.get("t1", now, nil); !ok || v != 10 || c.len() != 3 {
		t.Fatalf("re-put: %d %v, %d entries", v, ok, c.len())
	}
	for i := 3; i < 7; i++ {
		put(fmt.Sprint("t", i), i)
		if c.len() != 3 {
			t.Fatalf("%d entries, bound 3", c.len())
		}
		for j := 0; j <= i; j++ {
			if want := j > i-3; has(fmt.Sprint("t", j)) != want {
				t.Fatalf("after t%d: t%d cached %v, want %v", i, j, !want, want)
			}
		}
	}
}

// A cache of one keeps the latest token only.
func TestTokenCacheOfOne(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := newTokenCache[int](1)
	for i := range 3 {
		tok := fmt.Sprint("t", i)
		_, at, _ := c.get(tok, now, nil)
		c.put(at, tok, i, nil, now.Add(time.Hour), now)
		if v, _, ok := c.get(tok, now, nil); !ok || v != i || c.len() != 1 {
			t.Fatalf("t%d: %d %v, %d entries", i, v, ok, c.len())
		}
	}
}

// A JWS cache keys a token by its signature, but a hit still needs the
// whole token: one that borrows a cached token's signature misses.
func TestJWSCacheNeedsTheWholeToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	sig := strings.Repeat("s", 342)
	c := newJWSCache[int](8)
	good := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9." + sig
	_, at, _ := c.get(good, now, nil)
	c.put(at, good, 1, nil, now.Add(time.Hour), now)
	for _, forged := range []string{
		"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0." + sig,
		"x." + sig, sig, good + "x", good[:len(good)-1],
	} {
		if v, _, ok := c.get(forged, now, nil); ok {
			t.Errorf("%.40q… hit the cached token's entry (%d)", forged, v)
		}
	}
	if v, _, ok := c.get(good, now, nil); !ok || v != 1 {
		t.Errorf("the cached token itself: %d %v", v, ok)
	}
	// Tokens that differ only before their last letters share a slot: the
	// later one takes it, and the earlier one misses from then on.
	other := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ." + sig
	_, at, _ = c.get(other, now, nil)
	c.put(at, other, 2, nil, now.Add(time.Hour), now)
	if v, _, ok := c.get(other, now, nil); !ok || v != 2 {
		t.Errorf("the later token: %d %v", v, ok)
	}
	if _, _, ok := c.get(good, now, nil); ok {
		t.Errorf("the earlier token still hits its old slot")
	}
}
