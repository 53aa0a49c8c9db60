package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/webhook"
)

// lister serves users oldest first in pages, with "c<index>" cursors, and
// counts the calls.
type lister struct {
	mu    sync.Mutex
	users []adminapi.ListedUser
	calls int
	fail  error
}

func (l *lister) add(id string, created time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.users = append(l.users, adminapi.ListedUser{
		ID: id, NodeID: adminapi.UserNodeID(id), CreatedAt: created,
		StandardAttributes: map[string]any{"email": id + "@example.com"},
	})
}

func (l *lister) ListUsers(_ context.Context, o adminapi.ListUsersOptions) (*adminapi.UserPage, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.fail != nil {
		return nil, l.fail
	}
	start := 0
	if o.After != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(o.After, "c"))
		if err != nil {
			return nil, errors.New("bad cursor")
		}
		start = n + 1
	}
	end := min(start+o.First, len(l.users))
	p := &adminapi.UserPage{HasNextPage: end < len(l.users)}
	for i := start; i < end; i++ {
		u := l.users[i]
		u.Cursor = "c" + strconv.Itoa(i)
		p.Users = append(p.Users, u)
		p.EndCursor = u.Cursor
	}
	return p, nil
}

// legacy is a toy legacy store keyed by Authgear user ID.
type legacy struct {
	mu      sync.Mutex
	records map[string]string
	failFor string
	mirrors int
}

func (l *legacy) exists(_ context.Context, id string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.records[id]
	return ok, nil
}

func (l *legacy) mirror(_ context.Context, ev *webhook.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ev.User.ID == l.failFor {
		return errors.New("legacy insert failed")
	}
	if !ev.Reconciled || ev.Type != webhook.UserCreated {
		return fmt.Errorf("unexpected event %+v", ev)
	}
	l.mirrors++
	l.records[ev.User.ID] = ev.User.Email()
	return nil
}

func TestReconcile(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	c := &clock{t: t0.Add(time.Hour)}
	ls := &lister{}
	for i := range 7 {
		ls.add(fmt.Sprint("u", i), t0.Add(time.Duration(i)*time.Minute))
	}
	lg := &legacy{records: map[string]string{"u1": "u1@example.com", "u4": "u4@example.com"}}
	var checkpoints []string
	cfg := webhook.ReconcileConfig{
		Users: ls, Exists: lg.exists, Mirror: lg.mirror, PageSize: 3, Now: c.Now,
		Checkpoint: func(_ context.Context, cur string) error { checkpoints = append(checkpoints, cur); return nil },
	}

	// First pass: the five users the legacy system lacks are mirrored.
	rep, err := webhook.Reconcile(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scanned != 7 || rep.Present != 2 || rep.Mirrored != 5 || rep.FailedCount != 0 || rep.Cursor != "c6" || !rep.Settled {
		t.Errorf("report %+v", rep)
	}
	if len(lg.records) != 7 || lg.records["u6"] != "u6@example.com" {
		t.Errorf("legacy records %v", lg.records)
	}
	if strings.Join(checkpoints, ",") != "c2,c5,c6" || ls.calls != 3 {
		t.Errorf("checkpoints %v after %d calls", checkpoints, ls.calls)
	}

	// Two more sign-ups whose deliveries were lost; one is too young.
	ls.add("u7", c.Now().Add(-10*time.Minute))
	ls.add("u8", c.Now().Add(-30*time.Second))
	cfg.After = rep.Cursor
	rep, err = webhook.Reconcile(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scanned != 1 || rep.Mirrored != 1 || rep.Cursor != "c7" || rep.Settled {
		t.Errorf("resumed pass %+v", rep)
	}
	if _, ok := lg.records["u8"]; ok {
		t.Error("a user younger than Settle was mirrored (its delivery may be on the way)")
	}
	c.Set(c.Now().Add(5 * time.Minute))
	cfg.After = rep.Cursor
	if rep, err = webhook.Reconcile(context.Background(), cfg); err != nil || rep.Mirrored != 1 || rep.Cursor != "c8" {
		t.Errorf("after settling: %+v, %v", rep, err)
	}
	if lg.mirrors != 7 {
		t.Errorf("%d mirror calls, want 7 (no user twice)", lg.mirrors)
	}
}

func TestReconcileFailureKeepsCursorBeforeIt(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	c := &clock{t: t0.Add(time.Hour)}
	ls := &lister{}
	for i := range 4 {
		ls.add(fmt.Sprint("u", i), t0.Add(time.Duration(i)*time.Minute))
	}
	lg := &legacy{records: map[string]string{}, failFor: "u1"}
	cfg := webhook.ReconcileConfig{Users: ls, Exists: lg.exists, Mirror: lg.mirror, Now: c.Now}
	rep, err := webhook.Reconcile(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.FailedCount != 1 || rep.Failed[0].UserID != "u1" || rep.Mirrored != 3 || rep.Cursor != "c0" {
		t.Fatalf("report %+v", rep)
	}
	// The next pass retries u1; the others are found present.
	lg.failFor = ""
	cfg.After = rep.Cursor
	rep, err = webhook.Reconcile(context.Background(), cfg)
	if err != nil || rep.Mirrored != 1 || rep.Present != 2 || rep.Cursor != "c3" {
		t.Errorf("retry pass %+v, %v", rep, err)
	}
}

func TestReconcileSinceAndErrors(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	c := &clock{t: t0.Add(time.Hour)}
	ls := &lister{}
	for i := range 4 {
		ls.add(fmt.Sprint("u", i), t0.Add(time.Duration(i)*time.Minute))
	}
	lg := &legacy{records: map[string]string{}}
	cfg := webhook.ReconcileConfig{Users: ls, Exists: lg.exists, Mirror: lg.mirror, Now: c.Now, Since: t0.Add(2 * time.Minute)}
	rep, err := webhook.Reconcile(context.Background(), cfg)
	if err != nil || rep.Skipped != 2 || rep.Mirrored != 2 || len(lg.records) != 2 {
		t.Errorf("since: %+v, %v", rep, err)
	}
	ls.fail = errors.New("adminapi: HTTP 503")
	if _, err := webhook.Reconcile(context.Background(), cfg); !errors.Is(err, webhook.ErrReconcile) {
		t.Errorf("listing failure: %v", err)
	}
	if _, err := webhook.Reconcile(context.Background(), webhook.ReconcileConfig{}); !errors.Is(err, webhook.ErrInvalidConfig) {
		t.Errorf("empty config: %v", err)
	}
}

// On the fake, through the real Admin API client.
func TestReconcileOnFake(t *testing.T) {
	// The fake checks admin JWTs (signed on the real clock) against its
	// own clock: both stay on the real time here.
	now := time.Now().UTC().Truncate(time.Second)
	fake := authgeartest.New(t, authgeartest.Options{})
	var ids []string
	for i := range 5 {
		ids = append(ids, fake.AddUser(authgeartest.User{Email: fmt.Sprintf("user%d@example.com", i), CreatedAt: now.Add(-time.Duration(10-i) * time.Minute)}))
	}
	lg := &legacy{records: map[string]string{ids[0]: "user0@example.com"}}
	rep, err := webhook.Reconcile(context.Background(), webhook.ReconcileConfig{
		Users: fake.AdminClient(), Exists: lg.exists, Mirror: lg.mirror, Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mirrored != 4 || rep.Present != 1 || len(lg.records) != 5 || lg.records[ids[3]] != "user3@example.com" {
		t.Errorf("report %+v, legacy %v", rep, lg.records)
	}
}
