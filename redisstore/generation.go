package redisstore

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/agmigrate/agmigrate"
	"github.com/redis/go-redis/v9"
)

var _ agmigrate.Generations = (*Store)(nil)

// gens caches each node's run ID (master address → run_id; "" for the
// store's one node).
type gens struct {
	mu sync.Mutex
	m  map[string]string
}

func (g *gens) get(addr string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.m[addr]
}

func (g *gens) set(addr, id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = make(map[string]string)
	}
	g.m[addr] = id
}

// Generation implements agmigrate.Generations with the run ID of the Redis
// server that holds key's value: a server started again (empty, without
// persistence) has a new one, so agmigrate tells a value the node lost
// from one deleted on purpose. fresh asks the node now; otherwise the
// answer cached since the last ask is returned. On a Ring, where a key's
// server cannot be named here, or when an ACL refuses INFO, it answers ""
// (agmigrate then uses a marker of its own).
func (s *Store) Generation(ctx context.Context, key string, fresh bool) (string, error) {
	name := s.valueKey(key)
	var id string
	err := s.op(ctx, name, true, func(ctx context.Context) error {
		var c *redis.Client
		addr := ""
		switch rdb := s.rdb.(type) {
		case *redis.Client:
			c = rdb
		default:
			if s.cluster == nil {
				return nil
			}
			var err error
			if c, err = s.cluster.MasterForKey(ctx, name); err != nil {
				return err
			}
			addr = c.Options().Addr
		}
		if !fresh {
			if id = s.gens.get(addr); id != "" {
				return nil
			}
		}
		info, err := c.Info(ctx, "server").Result()
		var refused redis.Error
		if errors.As(err, &refused) && !unavailable(err) {
			return nil // INFO refused (an ACL): "", agmigrate's own marker then
		}
		if err != nil {
			return err
		}
		id = runID(info)
		s.gens.set(addr, id)
		return nil
	})
	return id, err
}

// runID reads run_id from an INFO server answer.
func runID(info string) string {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); ok {
			return v
		}
	}
	return ""
}
