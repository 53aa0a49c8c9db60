package agmigrate

import (
	"context"
	"sync"
	"time"
)

// gate bounds the exchanges in flight in this process. Work beyond the
// bound waits in a short queue, interactive work ahead of background
// work, first come first served within each; a full queue or a wait
// past its bound is refused at once, so a surge turns into quick answers
// under the failure policy instead of requests piling up past their
// deadlines.
type gate struct {
	mu       sync.Mutex
	free     int // slots not taken; -1 when there is no bound
	maxQueue int
	queues   [2][]*gateWaiter // by Priority
}

type gateWaiter struct {
	ch      chan struct{} // closed when the waiter gets a slot or is dropped
	granted bool
}

// newGate bounds work at slots in flight (no bound when slots <= 0) and
// queue waiting.
func newGate(slots, queue int) *gate {
	if slots <= 0 {
		slots = -1
	}
	return &gate{free: slots, maxQueue: max(0, queue)}
}

// acquire takes a slot, waiting at most maxWait. The error is a
// *ThrottleError (queue full, waited too long) or ctx's.
func (q *gate) acquire(ctx context.Context, p Priority, maxWait time.Duration) (release func(), err error) {
	p = p.valid()
	q.mu.Lock()
	if q.free != 0 {
		if q.free > 0 {
			q.free--
		}
		q.mu.Unlock()
		return q.release, nil
	}
	if len(q.queues[Interactive])+len(q.queues[Background]) >= q.maxQueue {
		// Full: interactive work takes the place of the latest background
		// waiter, which nobody is waiting on.
		bg := q.queues[Background]
		if p != Interactive || len(bg) == 0 {
			q.mu.Unlock()
			return nil, &ThrottleError{Call: CallExchange, Reason: ReasonQueueFull, RetryIn: time.Second}
		}
		last := bg[len(bg)-1]
		q.queues[Background] = bg[:len(bg)-1]
		close(last.ch) // not granted: it reports a full queue
	}
	w := &gateWaiter{ch: make(chan struct{})}
	q.queues[p] = append(q.queues[p], w)
	q.mu.Unlock()

	timer := time.NewTimer(maxWait)
	defer timer.Stop()
	select {
	case <-w.ch:
	case <-timer.C:
	case <-ctx.Done():
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if w.granted {
		return q.release, nil
	}
	select {
	case <-w.ch: // dropped for interactive work
		return nil, &ThrottleError{Call: CallExchange, Reason: ReasonQueueFull, RetryIn: time.Second}
	default:
	}
	q.remove(p, w)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, &ThrottleError{Call: CallExchange, Reason: ReasonQueueWait, RetryIn: maxWait}
}

// release hands the slot to the first waiter, interactive ones first.
func (q *gate) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for p := range q.queues {
		if ws := q.queues[p]; len(ws) > 0 {
			w := ws[0]
			ws[0] = nil
			q.queues[p] = ws[1:]
			w.granted = true
			close(w.ch)
			return
		}
	}
	if q.free >= 0 {
		q.free++
	}
}

func (q *gate) remove(p Priority, w *gateWaiter) {
	ws := q.queues[p]
	for i, x := range ws {
		if x == w {
			q.queues[p] = append(ws[:i:i], ws[i+1:]...)
			return
		}
	}
}

// load returns how many slots are taken and how many waiters queue.
func (q *gate) load(slots int) (inFlight, queued int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.free >= 0 {
		inFlight = slots - q.free
	}
	return inFlight, len(q.queues[Interactive]) + len(q.queues[Background])
}
