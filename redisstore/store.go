package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/redis/go-redis/v9"
)

// ErrUnavailable is returned, without calling Redis, while the store is
// pausing after Redis failed.
var ErrUnavailable = errors.New("redisstore: Redis unavailable")

// Options configures a Store.
type Options struct {
	// Prefix of every key and channel. Default "agmigrate:".
	Prefix string
	// OpTimeout bounds one Redis operation. Default 200 ms: a slow Redis
	// must not hold up requests.
	OpTimeout time.Duration
	// Pause is how long the store stops calling Redis after a failure
	// before trying again. Default 2 s.
	Pause time.Duration
}

// Store is an agmigrate.Store, Locker and Waiter on Redis. It accepts any
// redis.UniversalClient: a single node, Sentinel or Cluster.
type Store struct {
	rdb       redis.UniversalClient
	prefix    string
	opTimeout time.Duration
	pause     time.Duration
	downUntil atomic.Int64 // unix nanoseconds; 0 when up
}

var (
	_ agmigrate.Store  = (*Store)(nil)
	_ agmigrate.Locker = (*Store)(nil)
	_ agmigrate.Waiter = (*Store)(nil)
)

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, o Options) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil client")
	}
	if o.Prefix == "" {
		o.Prefix = "agmigrate:"
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = 200 * time.Millisecond
	}
	if o.Pause <= 0 {
		o.Pause = 2 * time.Second
	}
	return &Store{rdb: rdb, prefix: o.Prefix, opTimeout: o.OpTimeout, pause: o.Pause}, nil
}

// op runs f with the operation timeout, unless the store is pausing, and
// starts a pause when Redis fails.
func (s *Store) op(ctx context.Context, f func(ctx context.Context) error) error {
	if until := s.downUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return ErrUnavailable
	}
	ctx, cancel := context.WithTimeout(ctx, s.opTimeout)
	defer cancel()
	err := f(ctx)
	if err != nil && !errors.Is(err, redis.Nil) && !errors.Is(err, agmigrate.ErrNotFound) {
		if ctx.Err() != nil || isConnErr(err) {
			s.downUntil.Store(time.Now().Add(s.pause).UnixNano())
		}
		return fmt.Errorf("redisstore: %w", err)
	}
	s.downUntil.Store(0)
	return err
}

func isConnErr(err error) bool {
	var re redis.Error
	return !errors.As(err, &re) // a Redis reply error is not a connection problem
}

// Get implements agmigrate.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.op(ctx, func(ctx context.Context) error {
		var err error
		v, err = s.rdb.Get(ctx, s.prefix+key).Bytes()
		if errors.Is(err, redis.Nil) {
			return agmigrate.ErrNotFound
		}
		return err
	})
	return v, err
}

// Put implements agmigrate.Store: the value is stored with its TTL and
// announced to replicas waiting for it.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	return s.op(ctx, func(ctx context.Context) error {
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, s.prefix+key, value, ttl)
			p.Publish(ctx, s.channel(key), "put")
			return nil
		})
		return err
	})
}

func (s *Store) channel(key string) string { return s.prefix + "put:" + key }

// unlockScript deletes the lock only if it still holds the caller's token,
// so a holder whose lease ran out cannot release a successor's lock.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// TryLock implements agmigrate.Locker with SET NX PX and a random token.
func (s *Store) TryLock(ctx context.Context, key string, lease time.Duration) (func(context.Context), bool, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, false, err
	}
	token := hex.EncodeToString(b[:])
	lockKey := s.prefix + "lock:" + key
	var ok bool
	err := s.op(ctx, func(ctx context.Context) error {
		var err error
		ok, err = s.rdb.SetNX(ctx, lockKey, token, lease).Result()
		return err
	})
	if err != nil || !ok {
		return nil, false, err
	}
	unlock := func(ctx context.Context) {
		_ = s.op(ctx, func(ctx context.Context) error {
			return unlockScript.Run(ctx, s.rdb, []string{lockKey}, token).Err()
		})
	}
	return unlock, true, nil
}

// WaitFor implements agmigrate.Waiter: it subscribes to the key's channel,
// then checks whether the value is already there (so a Put between the
// caller's miss and the subscription is not missed), then waits.
func (s *Store) WaitFor(ctx context.Context, key string) ([]byte, error) {
	if until := s.downUntil.Load(); until != 0 && time.Now().UnixNano() < until {
		return nil, ErrUnavailable
	}
	sub := s.rdb.Subscribe(ctx, s.channel(key))
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
		return nil, fmt.Errorf("redisstore: subscribe: %w", err)
	}
	if v, err := s.Get(ctx, key); err == nil {
		return v, nil
	}
	select {
	case <-sub.Channel():
		return s.Get(ctx, key)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
