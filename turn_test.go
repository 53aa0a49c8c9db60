package agmigrate

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"
)

func testGovernor(budget Budget, queueWait time.Duration) *Governor {
	cfg := &Config{AdminBudget: budget, QueueWait: queueWait, Now: time.Now, Logger: slog.New(discard{})}
	return newGovernor(cfg, time.Minute, binding(""))
}

// The first createSession attempt awaits the turn reserved on entering
// (once); without one the caller took its call itself (password capture)
// and nothing more is taken; each retry takes a new call.
func TestMutationTurn(t *testing.T) {
	ctx := context.Background()
	g := testGovernor(Budget{PerMinute: 1, Burst: 1}, time.Nanosecond) // one call, then none for a minute
	if err := g.mutationTurn(ctx, 1); err != nil {
		t.Fatalf("no turn in the context: %v", err)
	}
	tctx, release, err := g.enter(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := g.mutationTurn(tctx, 1); err != nil {
		t.Fatalf("the reserved turn: %v", err)
	}
	if err := g.mutationTurn(tctx, 1); err != nil {
		t.Fatalf("the turn again (used): %v", err)
	}
	if err := g.mutationTurn(tctx, 2); !errors.Is(err, ErrThrottled) {
		t.Errorf("a retry takes a new call, and there is none: %v", err)
	}
	if _, _, err := g.enter(ctx); !errors.Is(err, ErrThrottled) {
		t.Errorf("a second exchange within the minute: %v", err)
	}
}

// A turn missed by more than the budget's slack is taken again instead of
// used late.
func TestLateTurnTakenAgain(t *testing.T) {
	ctx := context.Background()
	g := testGovernor(Budget{PerMinute: 6, Burst: 1}, time.Minute) // one every 10 s
	b := g.budgets[CallAdminMutation]
	on := &turn{b: b, due: time.Now(), deadline: time.Now().Add(time.Minute)}
	if err := g.await(ctx, on); err != nil || g.Stats().Late != 0 {
		t.Fatalf("on time: %v, %d late", err, g.Stats().Late)
	}
	missed := &turn{b: b, due: time.Now().Add(-time.Minute), deadline: time.Now().Add(time.Minute)}
	if err := g.await(ctx, missed); err != nil || g.Stats().Late != 1 || !missed.due.After(time.Now().Add(-time.Second)) {
		t.Errorf("missed by a minute: %v, %d late, due %s", err, g.Stats().Late, missed.due)
	}
	gone := &turn{b: b, due: time.Now().Add(-time.Minute), deadline: time.Now()}
	if err := g.await(ctx, gone); !errors.Is(err, ErrThrottled) {
		t.Errorf("missed, and past its deadline: %v", err)
	}
}
