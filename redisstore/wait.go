package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/redis/go-redis/v9"
)

// WaitFor implements agmigrate.Waiter: it subscribes to the key's shard
// channel (on the key's own node), then checks whether the value is
// already there (so a Put between the caller's miss and the subscription
// is not missed), then waits until the value is announced or ctx ends.
//
// It returns early only when the node is down or paused (then ErrUnavailable
// or the failure, which pauses the node, so callers do not spin). When
// Redis refuses the subscription itself (an ACL without channels, say), it
// waits by reading the key at growing intervals.
func (s *Store) WaitFor(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := s.channel(key)
	var sub *redis.PubSub
	err := s.op(ctx, ch, true, func(ctx context.Context) error {
		var err error
		if sub, err = s.subscribe(ctx, ch); err != nil {
			return err
		}
		_, err = sub.ReceiveTimeout(ctx, s.opTimeout) // the subscription's confirmation
		return err
	})
	if sub != nil {
		defer sub.Close()
	}
	if err != nil {
		if unavailable(err) {
			return nil, err
		}
		return s.poll(ctx, key)
	}
	if v, err := s.Get(ctx, key); !errors.Is(err, agmigrate.ErrNotFound) {
		return v, err
	}
	select {
	case <-sub.Channel():
		return s.Get(ctx, key)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// errNoShard stands for go-redis's panic when a Ring has no shard up.
var errNoShard = errors.New("redisstore: no Redis shard up")

// subscribe opens a shard-channel subscription. go-redis's Ring panics
// when none of its shards is up; that is Redis being down, not a bug here.
func (s *Store) subscribe(ctx context.Context, ch string) (sub *redis.PubSub, err error) {
	defer func() {
		if recover() != nil {
			sub, err = nil, errNoShard
		}
	}()
	return s.rdb.SSubscribe(ctx, ch), nil
}

// poll waits for key by reading it, each wait twice the one before.
func (s *Store) poll(ctx context.Context, key string) ([]byte, error) {
	wait := 20 * time.Millisecond
	for {
		v, err := s.Get(ctx, key)
		if !errors.Is(err, agmigrate.ErrNotFound) {
			return v, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
		wait = min(wait*2, 500*time.Millisecond)
	}
}
