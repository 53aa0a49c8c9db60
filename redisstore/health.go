package redisstore

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// health is how one Redis node looks to this store: up, or pausing until
// some time after it failed. Once the pause is over, one call (the probe)
// goes to Redis while the others still get ErrUnavailable, so a node that
// hangs is not met by every waiting request at once.
type health struct {
	downUntil atomic.Int64 // unix nanoseconds; 0 when up
	probing   atomic.Bool
}

// admit reports whether a call may go to the node now, and whether it is
// the probe that ends a pause.
func (h *health) admit(now int64) (ok, probe bool) {
	until := h.downUntil.Load()
	switch {
	case until == 0:
		return true, false
	case now < until:
		return false, false
	case h.probing.CompareAndSwap(false, true):
		return true, true
	}
	return false, false
}

// done records how a call that went to the node ended: any answer from
// Redis, even an error reply, shows the node is up.
func (h *health) done(probe, failed bool, now int64, pause time.Duration) {
	if failed {
		h.downUntil.Store(now + int64(pause))
	} else if h.downUntil.Load() != 0 {
		h.downUntil.Store(0)
	}
	if probe {
		h.probing.Store(false)
	}
}

// healthOf returns the health of the node that holds name: one per master
// on a Cluster (so a dead master pauses its own slots, not the store), one
// for the whole store on any other client. While a Cluster's slot map
// cannot be had, that failure pauses every key, like a node.
func (s *Store) healthOf(ctx context.Context, name string) (h *health, err error) {
	if s.cluster == nil {
		return &s.whole, nil
	}
	if until := s.whole.downUntil.Load(); until != 0 && s.now().UnixNano() < until {
		return nil, ErrUnavailable
	}
	c, err := s.cluster.MasterForKey(ctx, name)
	if err != nil {
		s.whole.done(false, true, s.now().UnixNano(), s.pause)
		return nil, err
	}
	if s.whole.downUntil.Load() != 0 {
		s.whole.downUntil.Store(0)
	}
	addr := c.Options().Addr
	if v, ok := s.nodes.Load(addr); ok {
		return v.(*health), nil
	}
	v, _ := s.nodes.LoadOrStore(addr, new(health))
	return v.(*health), nil
}

// unavailable reports whether err says the node cannot serve (down, slow,
// out of the cluster), as opposed to a miss or a reply Redis chose to give.
// Only these pause the node; a caller's cancellation never gets here, as
// calls run detached from it.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) {
		return false
	}
	var re redis.Error
	if !errors.As(err, &re) {
		return true // connection refused or reset, timeout, pool exhausted
	}
	msg := re.Error()
	for _, p := range []string{"CLUSTERDOWN", "LOADING", "MASTERDOWN", "TRYAGAIN", "READONLY"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
