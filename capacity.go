package agmigrate

import (
	"strings"
	"sync"
	"time"
)

// defaultMemoryEntries is the default size of the in-memory store and of
// each replica's local memory. One entry (a sealed exchange with a typical
// 1 KiB access token) takes about 1.7 KiB of heap (BenchmarkMemoryStoreEntry:
// some 630,000 per GiB), so the default holds 100,000 exchanges in about
// 0.16 GiB: every legacy session presented during a month by an app with
// up to that many active users.
const defaultMemoryEntries = 100_000

// evictions reports a full in-memory store dropping live exchanges: to the
// observer at each one, and in the log at most once a minute, with the
// count since the last line.
type evictions struct {
	mu     sync.Mutex
	n      int
	logged time.Time
}

func (m *Middleware) watchEvictions(ms *MemoryStore) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.onEvict != nil {
		return // another middleware watches it already
	}
	ms.onEvict = m.evicted
}

// localLost reports a replica's local memory dropping, to make room, a
// live exchange the shared store never held (made while it was failing):
// that token will make another session on this replica.
func (m *Middleware) localLost(key string) {
	if !strings.HasPrefix(key, "agm:x:") {
		return // a refresh result or a session head: nothing is lost for good
	}
	if eo, ok := m.cfg.Observer.(EvictionObserver); ok {
		eo.StoreEvicted()
	}
	if n, ok := m.evict.tick(m.now()); ok {
		m.log.Warn("agmigrate: local memory is full and dropped live exchanges made while the shared store was failing; their legacy tokens would make new sessions on this replica: raise LocalMemory",
			"dropped", n)
	}
}

// tick counts one eviction; ok says it is time for a log line (at most
// once a minute), with the count since the last one.
func (e *evictions) tick(now time.Time) (n int, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	if !e.logged.IsZero() && now.Sub(e.logged) < time.Minute {
		return 0, false
	}
	n = e.n
	e.n, e.logged = 0, now
	return n, true
}

func (m *Middleware) evicted() {
	if eo, ok := m.cfg.Observer.(EvictionObserver); ok {
		eo.StoreEvicted()
	}
	if n, ok := m.evict.tick(m.now()); ok {
		m.log.Warn("agmigrate: the in-memory store is full and dropped live exchanges; their legacy tokens would make new sessions: raise its size (NewMemoryStore) or use a shared store",
			"dropped", n)
	}
}
