package webhook_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/webhook"
)

// sharedLocker is a Locker two "replicas" share, with leases on a clock.
type sharedLocker struct {
	mu    sync.Mutex
	now   func() time.Time
	locks map[string]time.Time
}

func (l *sharedLocker) TryLock(_ context.Context, key string, lease time.Duration) (func(context.Context), bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if exp, ok := l.locks[key]; ok && l.now().Before(exp) {
		return nil, false, nil
	}
	l.locks[key] = l.now().Add(lease)
	return func(context.Context) {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.locks, key)
	}, true, nil
}

func TestReplayToAnotherReplicaRefused(t *testing.T) {
	c := &clock{t: recordedTime.Add(time.Second)}
	shared := &sharedLocker{now: c.Now, locks: map[string]time.Time{}}
	var replicas []*world
	for range 2 {
		replicas = append(replicas, newWorld(t, func(cfg *webhook.Config) {
			cfg.Now = c.Now
			cfg.Seen = webhook.NewLockerSeen(shared, "authgear-webhook:", c.Now)
		}))
	}
	r := replicas[0].rec
	if code, _ := post(t, replicas[0].h, []byte(r.Body), r.Signature); code != 200 {
		t.Fatalf("first delivery: %d", code)
	}
	if code, _ := post(t, replicas[1].h, []byte(r.Body), r.Signature); code != http.StatusConflict {
		t.Errorf("replay to the other replica: %d, want 409", code)
	}
	if len(replicas[0].sink.got())+len(replicas[1].sink.got()) != 1 {
		t.Error("the app ran more than once")
	}
	// A delivery the app failed is released, so it can be taken again.
	w2 := newWorld(t, func(cfg *webhook.Config) {
		cfg.Now = c.Now
		cfg.Seen = webhook.NewLockerSeen(shared, "other:", c.Now)
	})
	w2.sink.fail(context.DeadlineExceeded)
	if code, _ := post(t, w2.h, []byte(r.Body), r.Signature); code != 500 {
		t.Fatalf("failing app: %d", code)
	}
	w2.sink.fail(nil)
	if code, _ := post(t, w2.h, []byte(r.Body), r.Signature); code != 200 {
		t.Errorf("after release: %d", code)
	}
}
