package agmigrate

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestBudgetLimit(t *testing.T) {
	for _, c := range []struct {
		b    Budget
		want Limit
	}{
		{Budget{}, Limit{}},
		{Budget{PerMinute: 600}, Limit{Interval: 100 * time.Millisecond, Burst: 60}},
		{Budget{PerMinute: 600, Burst: 5}, Limit{Interval: 100 * time.Millisecond, Burst: 5}},
		{Budget{PerMinute: 3}, Limit{Interval: 20 * time.Second, Burst: 1}},
	} {
		if got := c.b.limit(); got != c.want {
			t.Errorf("%+v: %+v, want %+v", c.b, got, c.want)
		}
	}
	if (Limit{Interval: time.Second, Burst: 9}).share(3) != (Limit{Interval: 3 * time.Second, Burst: 3}) {
		t.Error("a third of the budget per replica")
	}
}

// GCRA on the configured clock: a burst, then one call per interval;
// calls may reserve their turn ahead, in order; a refusal takes nothing;
// a pause empties the bucket.
func TestGCRA(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	l := Limit{Interval: 10 * time.Second, Burst: 3}
	type step struct {
		at       time.Duration // since t0
		pause    time.Duration // > 0: a pause instead of a reservation
		maxWait  time.Duration
		wantOK   bool
		wantWait time.Duration
	}
	for _, c := range []struct {
		name  string
		limit Limit
		steps []step
	}{
		{"burst then the rate", l, []step{
			{at: 0, wantOK: true}, {at: 0, wantOK: true}, {at: 0, wantOK: true},
			{at: 0, wantOK: false, wantWait: 10 * time.Second},
			{at: 0, wantOK: false, wantWait: 10 * time.Second}, // the refusal took nothing
			{at: 10 * time.Second, wantOK: true},
			{at: 10 * time.Second, wantOK: false, wantWait: 10 * time.Second},
		}},
		{"reservations wait their turn", l, []step{
			{at: 0, wantOK: true}, {at: 0, wantOK: true}, {at: 0, wantOK: true},
			{at: 0, maxWait: time.Minute, wantOK: true, wantWait: 10 * time.Second},
			{at: 0, maxWait: time.Minute, wantOK: true, wantWait: 20 * time.Second},
			{at: 0, maxWait: 25 * time.Second, wantOK: false, wantWait: 30 * time.Second},
			{at: 30 * time.Second, wantOK: true},
		}},
		{"a quiet spell refills the burst, no more", l, []step{
			{at: 0, wantOK: true},
			{at: time.Hour, wantOK: true}, {at: time.Hour, wantOK: true}, {at: time.Hour, wantOK: true},
			{at: time.Hour, wantOK: false, wantWait: 10 * time.Second},
		}},
		{"a pause empties the bucket", l, []step{
			{at: 0, pause: time.Minute},
			{at: 0, wantOK: false, wantWait: time.Minute},
			{at: time.Minute, wantOK: true},
			{at: time.Minute, wantOK: false, wantWait: 10 * time.Second},
		}},
		{"no rate: only pauses hold back", Limit{}, []step{
			{at: 0, wantOK: true}, {at: 0, wantOK: true},
			{at: 0, pause: 2 * time.Second},
			{at: time.Second, wantOK: false, wantWait: time.Second},
			{at: 2 * time.Second, wantOK: true}, {at: 2 * time.Second, wantOK: true},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var g gcra
			for i, s := range c.steps {
				now := t0.Add(s.at)
				if s.pause > 0 {
					g.pause(now, c.limit, s.pause)
					continue
				}
				wait, ok := g.reserve(now, c.limit, s.maxWait)
				if ok != s.wantOK || wait != s.wantWait {
					t.Fatalf("step %d: ok %v wait %s, want %v %s", i, ok, wait, s.wantOK, s.wantWait)
				}
			}
		})
	}
}

// The exchange gate: a bound in flight, a bounded queue, interactive work
// first, a full queue refused at once.
func TestGate(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		queue   int
		waiters []string // "i…" interactive, "b…" background, queued in this order
		want    []string // in the order they get the slot (or are refused)
	}{
		{"interactive first", 3, []string{"b1", "i1", "b2", "i2"}, []string{"b2 refused", "i1", "i2", "b1"}},
		{"full: interactive takes the latest background place", 2, []string{"b1", "b2", "i1"}, []string{"b2 refused", "i1", "b1"}},
		{"full: background refused", 2, []string{"i1", "i2", "b1"}, []string{"b1 refused", "i1", "i2"}},
		{"no queue", 0, []string{"i1"}, []string{"i1 refused"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := newGate(1, c.queue)
			release, err := q.acquire(ctx, Interactive, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan string, len(c.waiters))
			for _, name := range c.waiters {
				p := Interactive
				if name[0] == 'b' {
					p = Background
				}
				_, before := q.load(1)
				reported := len(got)
				go func() {
					rel, err := q.acquire(ctx, p, time.Minute)
					if err != nil {
						if !errors.Is(err, ErrThrottled) {
							t.Errorf("%s: %v", name, err)
						}
						got <- name + " refused"
						return
					}
					got <- name
					rel()
				}()
				// Until this waiter is queued, or someone refused.
				for _, n := q.load(1); n == before && len(got) == reported; _, n = q.load(1) {
					runtime.Gosched()
				}
			}
			var order []string
			for len(got) > 0 { // the refusals, all before the slot is free
				order = append(order, <-got)
			}
			release()
			for len(order) < len(c.want) {
				order = append(order, <-got)
			}
			if fmt.Sprint(order) != fmt.Sprint(c.want) {
				t.Errorf("order %v, want %v", order, c.want)
			}
			if in, queued := q.load(1); in != 0 || queued != 0 {
				t.Errorf("%d in flight, %d queued after all released", in, queued)
			}
		})
	}
}

// A waiter gives up after its wait, or when its caller goes away.
func TestGateWaitBounded(t *testing.T) {
	q := newGate(1, 8)
	release, _ := q.acquire(context.Background(), Interactive, time.Minute)
	defer release()
	_, err := q.acquire(context.Background(), Interactive, time.Millisecond)
	var te *ThrottleError
	if !errors.As(err, &te) || te.Reason != ReasonQueueWait {
		t.Errorf("after its wait: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.acquire(ctx, Interactive, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, queued := q.load(1); queued != 0 {
		t.Errorf("%d left in the queue", queued)
	}
	// No queue at all: refused at once.
	nq := newGate(1, 0)
	rel, _ := nq.acquire(context.Background(), Interactive, time.Minute)
	defer rel()
	if _, err := nq.acquire(context.Background(), Interactive, time.Minute); !errors.Is(err, ErrThrottled) {
		t.Errorf("without a queue: %v", err)
	}
}
