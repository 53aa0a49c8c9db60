package agmigrate_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// limiterStore is a MemoryStore with a RateLimiter that records what the
// governor asks, and fails when told to.
type limiterStore struct {
	*agmigrate.MemoryStore
	fail     bool
	mu       sync.Mutex
	reserved []string // key and limit of each Reserve
}

func (s *limiterStore) Reserve(_ context.Context, key string, l agmigrate.Limit, _ time.Duration) (time.Duration, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reserved = append(s.reserved, key+" "+l.Interval.String()+" "+strconv.Itoa(l.Burst))
	if s.fail {
		return 0, false, errors.New("limiter down")
	}
	return 0, true, nil
}

func (s *limiterStore) Pause(context.Context, string, agmigrate.Limit, time.Duration) error {
	if s.fail {
		return errors.New("limiter down")
	}
	return nil
}

// A shared store that implements RateLimiter holds the budget: asked once
// per createSession (never for lookups), under one key per project. When
// it fails, this replica keeps to its share (1/Replicas).
func TestSharedBudgetAndShare(t *testing.T) {
	t.Parallel()
	for _, fail := range []bool{false, true} {
		w := newWorld(t, authgeartest.Options{})
		st := &limiterStore{MemoryStore: agmigrate.NewMemoryStore(0), fail: fail}
		cfg := w.config()
		cfg.Store = st
		cfg.AdminBudget = agmigrate.Budget{PerMinute: 6, Burst: 3} // shared by 3: 2 a minute, 1 at once each
		cfg.Replicas = 3
		cfg.QueueWait = time.Nanosecond
		m := w.middleware(cfg)
		h := m.Handler(app)
		var sources []string
		for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			w.fake.AddUser(authgeartest.User{Email: e})
			sources = append(sources, serve(h, withLegacyCookie(w.legacyToken(e))).source)
		}
		want := "[exchanged exchanged exchanged]"
		if fail {
			want = "[exchanged legacy legacy]"
		}
		if fmt.Sprint(sources) != want {
			t.Errorf("limiter failing %v: %v, want %s", fail, sources, want)
		}
		st.mu.Lock()
		if len(st.reserved) != 3 || st.reserved[0] != st.reserved[2] || !strings.HasPrefix(st.reserved[0], "agm:g:") ||
			!strings.HasSuffix(st.reserved[0], " 10s 3") {
			t.Errorf("limiter failing %v: asked %q", fail, st.reserved)
		}
		st.mu.Unlock()
		if d := m.Governor().Stats().Degraded; (d > 0) != fail {
			t.Errorf("limiter failing %v: %d degraded", fail, d)
		}
	}
}
