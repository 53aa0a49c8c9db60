package webhook

import (
	"context"
	"sync"
	"time"
)

// SeenStore remembers the IDs of events already delivered, for as long as
// a replay of them could still pass the timestamp check. Share one store
// (on Redis, a database, …) between replicas, or a delivery replayed to
// another replica is handled twice.
type SeenStore interface {
	// Claim records id until expires and reports whether it was new. Of
	// two concurrent claims of one ID exactly one must get true.
	Claim(ctx context.Context, id string, expires time.Time) (bool, error)
	// Release forgets id, after the application failed to handle it, so
	// a later delivery of the same event is handled.
	Release(ctx context.Context, id string) error
}

// MemorySeen is the in-process SeenStore. Entries are dropped once they
// expire; memory stays bounded by the deliveries of one window, since only
// signed, fresh deliveries reach the store.
type MemorySeen struct {
	now func() time.Time

	mu        sync.Mutex
	ids       map[string]time.Time
	nextSweep int
}

// minSweep is the size at which the first sweep of expired IDs happens.
const minSweep = 1024

// NewMemorySeen returns an empty MemorySeen that reads the time from now
// (time.Now when nil).
func NewMemorySeen(now func() time.Time) *MemorySeen {
	if now == nil {
		now = time.Now
	}
	return &MemorySeen{now: now, ids: map[string]time.Time{}, nextSweep: minSweep}
}

// Claim implements SeenStore.
func (m *MemorySeen) Claim(_ context.Context, id string, expires time.Time) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.ids[id]; ok && now.Before(exp) {
		return false, nil
	}
	m.ids[id] = expires
	if len(m.ids) >= m.nextSweep {
		// Sweep when the map has doubled since the last sweep, so the
		// cost per claim stays constant.
		for k, exp := range m.ids {
			if !now.Before(exp) {
				delete(m.ids, k)
			}
		}
		m.nextSweep = max(minSweep, 2*len(m.ids))
	}
	return true, nil
}

// Release implements SeenStore.
func (m *MemorySeen) Release(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.ids, id)
	return nil
}

// Len returns how many IDs are remembered, expired ones not yet swept
// included.
func (m *MemorySeen) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.ids)
}
