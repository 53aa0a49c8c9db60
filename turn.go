package agmigrate

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// A call's turn in a budget is reserved ahead and awaited just before the
// call. An exchange reserves its createSession's turn on entering the
// governor, before the lookup, so a user who cannot be exchanged now
// costs Authgear nothing; it awaits the turn after the lookup, so the
// lookup's varying time does not bunch the calls at Authgear. A turn
// missed by more than the budget's slack (a process too busy to wake its
// timers in time) is not used late, which would put the call together
// with the next turns' calls: a new one is taken, until the deadline.

type turn struct {
	b        *budget
	due      time.Time
	deadline time.Time // of its wait: QueueWait from the start, or the context's
	used     atomic.Bool
}

// deadline is when interactive work that starts waiting at start gives up.
func (g *Governor) deadline(ctx context.Context, start time.Time) time.Time {
	d := start.Add(g.queueWait)
	if dl, ok := ctx.Deadline(); ok && dl.Before(d) {
		return dl
	}
	return d
}

// take reserves a turn of kind c. Interactive work reserves up to the
// deadline ahead; background work only takes a call free now, waiting for
// one as long as ctx allows.
func (g *Governor) take(ctx context.Context, c Call, p Priority, deadline time.Time) (*turn, error) {
	b := g.budgets[c]
	if p.valid() == Background {
		if err := g.waitBackground(ctx, b); err != nil {
			return nil, err
		}
		return &turn{b: b, due: time.Now(), deadline: deadline}, nil
	}
	wait, ok := g.reserve(ctx, b, max(0, time.Until(deadline)))
	if !ok {
		g.throttled.Add(1)
		return nil, &ThrottleError{Call: c, Reason: ReasonBudget, RetryIn: wait}
	}
	return &turn{b: b, due: time.Now().Add(wait), deadline: deadline}, nil
}

// await returns when t is due, taking a new turn for a missed one.
func (g *Governor) await(ctx context.Context, t *turn) error {
	for {
		if err := g.sleep(ctx, t.b.call, time.Until(t.due)); err != nil {
			return err
		}
		slack := max(t.b.limit.Tolerance(), t.b.limit.Interval)
		if t.b.limit.Interval == 0 || time.Since(t.due) <= slack {
			return nil
		}
		g.late.Add(1)
		wait, ok := g.reserve(ctx, t.b, max(0, time.Until(t.deadline)))
		if !ok {
			g.throttled.Add(1)
			return &ThrottleError{Call: t.b.call, Reason: ReasonBudget, RetryIn: wait}
		}
		t.due = time.Now().Add(wait)
	}
}

var turnKey = &contextKey{"budget-turn"}

// enter admits an exchange, at the priority of ctx: a slot among those in
// flight, then its createSession's turn in the Admin API budget, both
// within one QueueWait. The returned context carries the turn to
// mutationTurn.
func (g *Governor) enter(ctx context.Context) (context.Context, func(), error) {
	if g == nil {
		return ctx, func() {}, nil
	}
	start := time.Now()
	p := priorityOf(ctx)
	release, err := g.gate.acquire(ctx, p, g.queueWait)
	var te *ThrottleError
	if errors.As(err, &te) {
		g.throttled.Add(1)
	}
	if err != nil {
		return ctx, nil, err
	}
	t, err := g.take(ctx, CallAdminMutation, p, g.deadline(ctx, start))
	if err != nil {
		release()
		return ctx, nil, err
	}
	return context.WithValue(ctx, turnKey, t), release, nil
}

// mutationTurn comes before each attempt of an Admin API mutation: the
// first awaits the turn enter reserved (none: the caller took its call
// with Wait, as password capture does), each retry takes a new one.
func (g *Governor) mutationTurn(ctx context.Context, attempt int) error {
	if g == nil {
		return nil
	}
	if attempt > 1 {
		return g.Wait(ctx, CallAdminMutation, priorityOf(ctx))
	}
	t, _ := ctx.Value(turnKey).(*turn)
	if t == nil || !t.used.CompareAndSwap(false, true) {
		return nil
	}
	return g.await(ctx, t)
}
