package webhook

import (
	"context"
	"sync"
	"time"
)

// Locker takes a lock with a lease: the method agmigrate's shared stores
// have (agmigrate.Locker; redisstore.Store implements it with SET NX).
type Locker interface {
	TryLock(ctx context.Context, key string, lease time.Duration) (unlock func(context.Context), ok bool, err error)
}

// LockerSeen is a SeenStore on a Locker shared by every replica, such as
// a redisstore.Store: a claimed event ID is a lock whose lease lasts until
// the claim expires, so a replay sent to any replica is refused.
type LockerSeen struct {
	locker Locker
	prefix string
	now    func() time.Time

	mu      sync.Mutex
	unlocks map[string]held // claims this process may still release
}

type held struct {
	unlock  func(context.Context)
	expires time.Time
}

// NewLockerSeen returns a LockerSeen keeping its IDs under prefix (e.g.
// "authgear-webhook:") in l. now may be nil (time.Now).
func NewLockerSeen(l Locker, prefix string, now func() time.Time) *LockerSeen {
	if now == nil {
		now = time.Now
	}
	return &LockerSeen{locker: l, prefix: prefix, now: now, unlocks: map[string]held{}}
}

// Claim implements SeenStore.
func (s *LockerSeen) Claim(ctx context.Context, id string, expires time.Time) (bool, error) {
	now := s.now()
	lease := expires.Sub(now)
	if lease < time.Second {
		lease = time.Second
	}
	unlock, ok, err := s.locker.TryLock(ctx, s.prefix+id, lease)
	if err != nil || !ok {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, h := range s.unlocks {
		if !now.Before(h.expires) {
			delete(s.unlocks, k)
		}
	}
	s.unlocks[id] = held{unlock: unlock, expires: expires}
	return true, nil
}

// Release implements SeenStore: it frees a claim this process made.
func (s *LockerSeen) Release(ctx context.Context, id string) error {
	s.mu.Lock()
	h, ok := s.unlocks[id]
	delete(s.unlocks, id)
	s.mu.Unlock()
	if ok && h.unlock != nil {
		h.unlock(ctx)
	}
	return nil
}
