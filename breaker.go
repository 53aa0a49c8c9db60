package agmigrate

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"syscall"
	"time"
)

// breaker stops calls to an Admin API that keeps failing: after threshold
// consecutive transient failures it opens for coolDown, then lets one trial
// call through; a success closes it.
type breaker struct {
	threshold int
	coolDown  time.Duration
	now       func() time.Time

	mu        sync.Mutex
	failures  int
	openUntil time.Time
	trial     bool
	cause     error // a setup problem that latched the circuit open
}

func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return true
	}
	if b.now().Before(b.openUntil) || b.trial {
		return false
	}
	b.trial = true // half-open: one call decides
	return true
}

// record counts a call's result. It reports whether this failure opened
// the circuit (so that is logged once, not per request).
func (b *breaker) record(ok bool) (opened bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trial = false
	if ok {
		b.failures, b.cause = 0, nil
		return false
	}
	b.failures++
	if b.failures >= b.threshold {
		b.openUntil = b.now().Add(b.coolDown)
		return b.failures == b.threshold
	}
	return false
}

// latch opens the circuit for coolDown at once, for a failure that repeats
// until someone changes the setup (createSession switched off, the admin
// key refused, sessions whose tokens do not verify): more calls would only
// add noise, or sessions. Then one trial call decides, as after transient
// failures. It reports whether the circuit was closed, so the cause is
// logged once per period.
func (b *breaker) latch(cause error) (opened bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	wasOpen := b.failures >= b.threshold && now.Before(b.openUntil)
	b.failures = max(b.failures, b.threshold)
	b.openUntil = now.Add(b.coolDown)
	b.trial = false
	b.cause = cause
	return !wasOpen
}

func jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(rand.Int64N(int64(d)/2+1))
}

func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// openErr returns ErrCircuitOpen while the circuit is open (joined with the
// setup problem that latched it, if one did), nil otherwise.
func (b *breaker) openErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures >= b.threshold && (b.now().Before(b.openUntil) || b.trial) {
		if b.cause != nil {
			return fmt.Errorf("%w: %w", ErrCircuitOpen, b.cause)
		}
		return ErrCircuitOpen
	}
	return nil
}
