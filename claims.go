package agmigrate

import (
	"sync"
	"sync/atomic"
)

// unclaimed holds, per legacy token, the claim of a session this process
// created that no caller has taken yet. A creation is opened before its
// record can be read (before OnExchanged runs and before the flight
// returns); the first to take it is told the session was created: a
// caller of the flight, or, when every caller gave up (the request
// cancelled while createSession ran), the next call here that reuses the
// record. So exactly one request reports the exchange, and the
// migrated-users count does not miss the user whose first request went
// away. Bounded: when full, an older unclaimed creation is dropped (that
// one user goes uncounted) so that new ones can always be claimed.
type unclaimed struct {
	mu sync.Mutex
	m  map[string]*atomic.Bool
}

const maxUnclaimed = 4096

// open registers a new creation under key and returns its claim.
func (u *unclaimed) open(key string) *atomic.Bool {
	c := new(atomic.Bool)
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil {
		u.m = make(map[string]*atomic.Bool)
	}
	if _, ok := u.m[key]; !ok && len(u.m) >= maxUnclaimed {
		for k := range u.m {
			delete(u.m, k)
			break
		}
	}
	u.m[key] = c
	return c
}

// ref returns the open claim under key; nil when there is none (taken).
func (u *unclaimed) ref(key string) *atomic.Bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.m[key]
}

// take claims c, which is the one under key; it reports whether this
// caller is the first.
func (u *unclaimed) take(key string, c *atomic.Bool) bool {
	if c == nil || !c.CompareAndSwap(false, true) {
		return false
	}
	u.mu.Lock()
	if u.m[key] == c {
		delete(u.m, key)
	}
	u.mu.Unlock()
	return true
}

// claim takes the open claim under key, if any.
func (u *unclaimed) claim(key string) bool {
	return u.take(key, u.ref(key))
}
