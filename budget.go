package agmigrate

import (
	"context"
	"math"
	"sync"
	"time"
)

// Budget is a rate of calls to one kind of Authgear endpoint, kept by all
// replicas together when the Store is shared: PerMinute calls a minute on
// average, and up to Burst at once after a quiet spell.
type Budget struct {
	// PerMinute is the sustained rate. Zero: no rate (Authgear's 429s
	// still pause the calls).
	PerMinute float64
	// Burst is how many calls may go at once. Default: a tenth of
	// PerMinute (six seconds' worth), at least 1.
	Burst int
}

// limit is the budget as the GCRA takes it.
func (b Budget) limit() Limit {
	if b.PerMinute <= 0 {
		return Limit{}
	}
	burst := b.Burst
	if burst <= 0 {
		burst = max(1, int(b.PerMinute/10))
	}
	return Limit{Interval: max(time.Nanosecond, time.Duration(float64(time.Minute)/b.PerMinute)), Burst: burst}
}

// valid: a rate and burst the GCRA can hold without overflowing.
func (b Budget) valid() bool {
	return !math.IsNaN(b.PerMinute) && b.PerMinute >= 0 && b.PerMinute <= 1e9 && b.Burst >= 0 && b.Burst <= 1e6
}

// Limit is a budget in the form the generic cell rate algorithm (GCRA)
// takes it: one call every Interval, up to Burst at once. The zero Limit
// has no rate: only pauses hold calls back.
type Limit struct {
	Interval time.Duration
	Burst    int
}

// Tolerance is how far ahead of the theoretical arrival time a call may
// go: (Burst-1) intervals.
func (l Limit) Tolerance() time.Duration {
	if l.Burst <= 1 {
		return 0
	}
	return time.Duration(l.Burst-1) * l.Interval
}

// share is one replica's part of l when the replicas cannot count
// together (the shared store failing): each takes 1/replicas of the rate
// and of the burst, so together they still keep inside l.
func (l Limit) share(replicas int) Limit {
	if replicas <= 1 || l.Interval == 0 {
		return l
	}
	return Limit{Interval: l.Interval * time.Duration(replicas), Burst: max(1, l.Burst/replicas)}
}

// RateLimiter may be implemented by a shared Store (redisstore does): it
// holds the governor's budgets, so that every replica draws from one
// bucket and together they never exceed a Budget. It is found by type
// assertion, like Locker. When it fails, each replica falls back to its
// share of the budget (Config.Replicas).
type RateLimiter interface {
	// Reserve takes one call from the budget under key: the call may be
	// made after wait. When wait would exceed maxWait, nothing is taken,
	// ok is false, and wait says how long until a call could go (if
	// nobody else reserved first).
	Reserve(ctx context.Context, key string, l Limit, maxWait time.Duration) (wait time.Duration, ok bool, err error)
	// Pause empties the budget under key and holds it for d: the next call
	// goes after d, then one every Interval. For an Authgear 429.
	Pause(ctx context.Context, key string, l Limit, d time.Duration) error
}

// gcra is one bucket in this process, on the configured clock. It keeps
// only the theoretical arrival time (TAT) of the next call: a call may go
// once now >= TAT - tolerance, and moves the TAT one interval on.
// Reservations may move it into the future: those callers wait their
// turn, in order, without asking again.
type gcra struct {
	mu  sync.Mutex
	tat time.Time
}

// reserve is RateLimiter.Reserve on this bucket.
func (g *gcra) reserve(now time.Time, l Limit, maxWait time.Duration) (time.Duration, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	tat := g.tat
	if tat.Before(now) {
		tat = now
	}
	at := tat.Add(-l.Tolerance())
	if at.Before(now) {
		at = now
	}
	wait := at.Sub(now)
	if wait > maxWait {
		return wait, false
	}
	g.tat = tat.Add(l.Interval)
	return wait, true
}

// pause is RateLimiter.Pause on this bucket.
func (g *gcra) pause(now time.Time, l Limit, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until := now.Add(d + l.Tolerance()); until.After(g.tat) {
		g.tat = until
	}
}
