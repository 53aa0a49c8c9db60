package authgeartest_test

import (
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// The fake notes when each call came, on its clock, and counts the
// answers its buckets refused: what a surge test asserts on.
func TestCallTimesAndRefusals(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Now()}
	s := authgeartest.New(t, authgeartest.Options{Now: clk.Now, AdminMutationsPerMinute: 2, EnableCreateSession: true})
	id := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	admin := s.AdminClient()
	start := clk.Now()
	var refused int
	for i := 0; i < 3; i++ {
		if _, err := admin.CreateSession(t.Context(), adminapi.UserNodeID(id), "test-client", nil); err != nil {
			refused++
		}
		clk.Advance(time.Second)
	}
	if refused != 1 || s.Calls("rate_limited.admin-mutations") != 1 {
		t.Errorf("%d refused, %d counted", refused, s.Calls("rate_limited.admin-mutations"))
	}
	ts := s.CallTimes("createSession")
	if len(ts) != 3 || !ts[0].Equal(start) || !ts[2].Equal(start.Add(2*time.Second)) {
		t.Errorf("call times %v", ts)
	}
	for _, c := range []struct {
		window time.Duration
		want   int
	}{{0, 1}, {time.Second, 2}, {2 * time.Second, 3}, {time.Minute, 3}} {
		if got := s.MaxInWindow("createSession", c.window); got != c.want {
			t.Errorf("MaxInWindow(%s) = %d, want %d", c.window, got, c.want)
		}
	}
	s.ResetCalls()
	if len(s.CallTimes("createSession")) != 0 || s.MaxInWindow("createSession", time.Minute) != 0 {
		t.Error("ResetCalls kept the times")
	}
}

// A smaller mutation burst: that many at once, then the rate.
func TestAdminMutationBurst(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Now()}
	s := authgeartest.New(t, authgeartest.Options{Now: clk.Now, AdminMutationsPerMinute: 60, AdminMutationBurst: 2, EnableCreateSession: true})
	id := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	create := func() bool {
		_, err := s.AdminClient().CreateSession(t.Context(), adminapi.UserNodeID(id), "test-client", nil)
		return err == nil
	}
	if !create() || !create() || create() {
		t.Fatal("want 2 at once, then refused")
	}
	clk.Advance(time.Second) // one a second
	if !create() || create() {
		t.Error("want one more after a second")
	}
}
