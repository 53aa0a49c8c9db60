package agmigrate

import (
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

func (m *Middleware) evicted() {
	if eo, ok := m.cfg.Observer.(EvictionObserver); ok {
		eo.StoreEvicted()
	}
	e := &m.evict
	e.mu.Lock()
	e.n++
	now := m.now()
	if !e.logged.IsZero() && now.Sub(e.logged) < time.Minute {
		e.mu.Unlock()
		return
	}
	n := e.n
	e.n, e.logged = 0, now
	e.mu.Unlock()
	m.log.Warn("agmigrate: the in-memory store is full and dropped live exchanges; their legacy tokens would make new sessions: raise its size (NewMemoryStore) or use a shared store",
		"dropped", n)
}
