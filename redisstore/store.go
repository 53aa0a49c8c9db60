package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/redis/go-redis/v9"
)

// ErrUnavailable is returned, without calling Redis, while the node that
// holds a key is pausing after it failed.
var ErrUnavailable = errors.New("redisstore: Redis unavailable")

// ErrBadPrefix is returned by New for a Prefix holding a brace: the store
// gives each exchange's keys their own hash tag, which a brace in the
// prefix would override.
var ErrBadPrefix = errors.New("redisstore: Prefix must not contain { or }")

// Options configures a Store.
type Options struct {
	// Prefix of every key and channel. Default "agmigrate:".
	Prefix string
	// OpTimeout bounds one Redis operation, whatever the caller's context.
	// Default 200 ms: a slow Redis must not hold up requests. go-redis
	// applies it to reads and writes only with ContextTimeoutEnabled;
	// otherwise keep the client's ReadTimeout and WriteTimeout as short.
	OpTimeout time.Duration
	// Pause is how long the store stops calling a Redis node after it
	// failed, before one call tries it again. Default 2 s.
	Pause time.Duration
	// Now is the clock the pauses are timed by. Default time.Now.
	Now func() time.Time
}

// Store is an agmigrate.Store, Locker and Waiter on Redis. It accepts any
// redis.UniversalClient: a single node, Sentinel, Ring or Cluster. It needs
// Redis 7.0 or later (sharded pub/sub).
//
// Calls run detached from the caller's context, under OpTimeout, so a
// request that goes away never makes Redis look down. A node that fails
// (unreachable, timing out, CLUSTERDOWN, LOADING, …) is paused for Pause;
// on a Cluster each master is paused on its own.
type Store struct {
	rdb       redis.UniversalClient
	cluster   *redis.ClusterClient // rdb, when it is a Cluster client
	prefix    string
	opTimeout time.Duration
	pause     time.Duration
	now       func() time.Time
	whole     health   // the store's one node, or a Cluster's slot map
	nodes     sync.Map // master address → *health, on a Cluster
	gens      gens     // each node's run ID (generation.go)
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
	if strings.ContainsAny(o.Prefix, "{}") {
		return nil, ErrBadPrefix
	}
	if o.OpTimeout <= 0 {
		o.OpTimeout = 200 * time.Millisecond
	}
	if o.Pause <= 0 {
		o.Pause = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Store{rdb: rdb, prefix: o.Prefix, opTimeout: o.OpTimeout, pause: o.Pause, now: o.Now}
	s.cluster, _ = rdb.(*redis.ClusterClient)
	return s, nil
}

// op runs f on the node holding name, detached from the caller's
// cancellation and bounded by the store's own timeout. gated calls are
// refused while the node is paused; a failure of the node pauses it.
func (s *Store) op(ctx context.Context, name string, gated bool, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opTimeout)
	defer cancel()
	h, err := s.healthOf(ctx, name)
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			return err
		}
		return fmt.Errorf("redisstore: %w", err)
	}
	ok, probe := true, false
	if gated {
		ok, probe = h.admit(s.now().UnixNano())
	}
	if !ok {
		return ErrUnavailable
	}
	err = f(ctx)
	h.done(probe, unavailable(err), s.now().UnixNano(), s.pause)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, redis.Nil):
		return agmigrate.ErrNotFound
	}
	return fmt.Errorf("redisstore: %w", err)
}

// Get implements agmigrate.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	name := s.valueKey(key)
	err := s.op(ctx, name, true, func(ctx context.Context) error {
		var err error
		v, err = s.rdb.Get(ctx, name).Bytes()
		return err
	})
	return v, err
}

// Put implements agmigrate.Store: the value is stored with its TTL and
// announced to replicas waiting for it, in one transaction on the key's
// node (the value and its channel share a hash tag, so this holds on a
// Cluster too).
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	name := s.valueKey(key)
	return s.op(ctx, name, true, func(ctx context.Context) error {
		_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, name, value, ttl)
			p.SPublish(ctx, s.channel(key), "put")
			return nil
		})
		return err
	})
}

// unlockScript deletes the lock only if it still holds the caller's token,
// so a holder whose lease ran out cannot release a successor's lock.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// TryLock implements agmigrate.Locker with SET NX PX and a random token.
// The returned unlock is not held back by a pause: a lock left behind
// would make every other replica wait out its lease.
func (s *Store) TryLock(ctx context.Context, key string, lease time.Duration) (func(context.Context), bool, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, false, fmt.Errorf("redisstore: lock token: %w", err)
	}
	token := hex.EncodeToString(b[:])
	name := s.lockKey(key)
	var ok bool
	err := s.op(ctx, name, true, func(ctx context.Context) error {
		var err error
		ok, err = s.rdb.SetNX(ctx, name, token, lease).Result()
		return err
	})
	if err != nil || !ok {
		return nil, false, err
	}
	unlock := func(ctx context.Context) {
		// On failure the lease ends the lock.
		_ = s.op(ctx, name, false, func(ctx context.Context) error {
			return unlockScript.Run(ctx, s.rdb, []string{name}, token).Err()
		})
	}
	return unlock, true, nil
}
