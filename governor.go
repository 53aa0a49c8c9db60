package agmigrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
)

// At cut-over every user with a live legacy session arrives within
// minutes, each an exchange, and half an hour later each session is
// refreshed from the app's servers. The governor keeps that surge inside
// what Authgear accepts: a bound on the exchanges in flight in each
// process, with a short queue; a budget for Admin API mutations and one
// for the token endpoint, held in the shared store so all replicas draw
// from one bucket; and Authgear's own 429 answers, which pause a budget
// everywhere instead of counting as failures.

// Call names the Authgear calls a budget covers.
type Call int

const (
	// CallAdminMutation is an Admin API mutation: createSession, and the
	// mutations of password capture and session revocation.
	CallAdminMutation Call = iota
	// CallToken is a request to the token endpoint (a refresh).
	CallToken
	// CallExchange is a whole exchange, as bounded by MaxExchanges (it has
	// no budget of its own).
	CallExchange
)

func (c Call) String() string {
	switch c {
	case CallAdminMutation:
		return "admin_mutation"
	case CallToken:
		return "token"
	case CallExchange:
		return "exchange"
	}
	return "unknown"
}

// Priority orders work waiting for the governor.
type Priority int

const (
	// Interactive work has a user waiting for it (the middleware, the
	// migration endpoint). It goes first, and may reserve budget ahead
	// for up to Config.QueueWait. The default.
	Interactive Priority = iota
	// Background work has nobody waiting (password capture after a legacy
	// sign-in, revocation passes). It waits behind interactive work and
	// only takes budget that is free now, however long it then waits.
	Background
)

func (p Priority) valid() Priority {
	if p == Background {
		return Background
	}
	return Interactive
}

var priorityKey = &contextKey{"priority"}

// WithPriority marks the work done under ctx (an Exchange, say) with p.
// Without it, work is Interactive.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey, p.valid())
}

func priorityOf(ctx context.Context) Priority {
	p, _ := ctx.Value(priorityKey).(Priority)
	return p.valid()
}

// ErrThrottled: the governor held a call to Authgear back (its budget is
// spent, or paused after Authgear answered 429, or too many exchanges
// wait), or Authgear answered 429. Nothing is wrong with Authgear or the
// user: the request gets the failure policy, and the call is made on a
// later request. An exchange's ErrThrottled also matches ErrAdminAPI.
var ErrThrottled = errors.New("agmigrate: Authgear budget exhausted")

// Reasons a call is throttled (ThrottleError.Reason).
const (
	ReasonQueueFull   = "queue full"        // MaxExchanges in flight and ExchangeQueue waiting
	ReasonQueueWait   = "queue wait"        // waited QueueWait for a slot
	ReasonBudget      = "budget"            // the budget has no call free within QueueWait
	ReasonRateLimited = "authgear 429"      // Authgear answered 429
	ReasonCanceled    = "waiting cancelled" // the caller went away while its reserved turn came
)

// ThrottleError is the ErrThrottled a call got: which kind of call, why,
// and when it is worth trying again.
type ThrottleError struct {
	Call    Call
	Reason  string
	RetryIn time.Duration
}

func (e *ThrottleError) Error() string {
	return fmt.Sprintf("agmigrate: Authgear budget exhausted (%s: %s); retry in %s", e.Call, e.Reason, e.RetryIn.Round(time.Millisecond))
}

// Is matches ErrThrottled.
func (e *ThrottleError) Is(target error) bool { return target == ErrThrottled }

// retryIn is when a throttled request should come back: the throttle's
// own figure, at least a second.
func retryIn(err error) time.Duration {
	var te *ThrottleError
	if errors.As(err, &te) {
		return max(time.Second, te.RetryIn)
	}
	return 5 * time.Second
}

// GovernorStats are the governor's counters since the middleware started.
type GovernorStats struct {
	InFlight, Queued int    // exchanges now
	Throttled        uint64 // calls held back (queue full, waited too long, budget spent)
	RateLimited      uint64 // Authgear 429 answers
	Degraded         uint64 // budget calls made on this replica's share, the shared store failing
	Late             uint64 // turns missed by a process too busy to wake in time, taken again
}

// Governor keeps a middleware's calls to Authgear inside their bounds
// and budgets (Config.MaxExchanges, AdminBudget, TokenBudget). Work that
// calls Authgear itself (password capture, revocation) takes its turn
// with Wait. A nil *Governor holds nothing back.
type Governor struct {
	gate      *gate
	slots     int
	queueWait time.Duration
	budgets   [2]*budget // by Call
	shared    RateLimiter
	replicas  int
	backOff   time.Duration
	now       func() time.Time
	log       *slog.Logger

	throttled, limited, degraded, late atomic.Uint64
	warnMu                             sync.Mutex
	warned                             map[string]time.Time // log lines, once per period
}

type budget struct {
	call  Call
	key   string // in the shared store
	limit Limit
	local gcra // the whole budget without a shared store; this replica's share while it fails
}

// newGovernor builds the governor of cfg (defaults applied).
func newGovernor(cfg *Config, timeout time.Duration, bind binding) *Governor {
	g := &Governor{
		slots:     orDefault(cfg.MaxExchanges, defaultMaxExchanges),
		queueWait: orDefault(cfg.QueueWait, timeout),
		replicas:  max(1, cfg.Replicas),
		backOff:   orDefault(cfg.RateLimitBackOff, 2*time.Second),
		now:       cfg.Now,
		log:       cfg.Logger,
		warned:    map[string]time.Time{},
	}
	g.gate = newGate(g.slots, orDefault(cfg.ExchangeQueue, defaultExchangeQueue))
	g.shared, _ = cfg.Store.(RateLimiter)
	g.budgets[CallAdminMutation] = &budget{call: CallAdminMutation, key: bind.key("g", "admin-mutations"), limit: cfg.AdminBudget.limit()}
	g.budgets[CallToken] = &budget{call: CallToken, key: bind.key("g", "token"), limit: cfg.TokenBudget.limit()}
	return g
}

const (
	defaultMaxExchanges  = 64
	defaultExchangeQueue = 1024
)

// Wait takes one call of kind c from its budget, for work at priority p:
// it returns nil when the call may be made, or a *ThrottleError
// (ErrThrottled) when Interactive work would wait longer than
// Config.QueueWait, or when ctx ends first (that error matches ctx's
// too). Background work waits as long as ctx allows. Report an Authgear
// 429 answer to the call with Pause.
func (g *Governor) Wait(ctx context.Context, c Call, p Priority) error {
	if g == nil || (c != CallAdminMutation && c != CallToken) {
		return nil
	}
	t, err := g.take(ctx, c, p, g.deadline(ctx, time.Now()))
	if err != nil {
		return err
	}
	return g.await(ctx, t)
}

// waitBackground takes only calls free now: interactive work reserves
// ahead, so background work goes when it leaves room.
func (g *Governor) waitBackground(ctx context.Context, b *budget) error {
	for {
		wait, ok := g.reserve(ctx, b, 0)
		if ok {
			return nil
		}
		if err := g.sleep(ctx, b.call, jitter(max(wait, 10*time.Millisecond))); err != nil {
			return err
		}
	}
}

func (g *Governor) sleep(ctx context.Context, c Call, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", &ThrottleError{Call: c, Reason: ReasonCanceled, RetryIn: d}, ctx.Err())
	}
}

// reserve asks the shared store, or else this replica's bucket.
func (g *Governor) reserve(ctx context.Context, b *budget, maxWait time.Duration) (time.Duration, bool) {
	if g.shared != nil {
		wait, ok, err := g.shared.Reserve(ctx, b.key, b.limit, maxWait)
		if err == nil {
			return wait, ok
		}
		g.degraded.Add(1)
		if b.limit.Interval > 0 { // without a rate only pauses are lost, and the store's own failure is logged
			g.warnOnce("degraded:"+b.call.String(), time.Minute, "agmigrate: the shared budget cannot be reached; this replica keeps to its share",
				"call", b.call.String(), "replicas", g.replicas, "error", err)
		}
		return b.local.reserve(g.now(), b.limit.share(g.replicas), maxWait)
	}
	return b.local.reserve(g.now(), b.limit, maxWait)
}

// Pause holds every call of kind c back for d, in all replicas: for an
// Authgear 429 answer (d: its Retry-After, or Config.RateLimitBackOff when
// d <= 0). It does not count as a failure of Authgear.
func (g *Governor) Pause(ctx context.Context, c Call, d time.Duration) {
	if g == nil || (c != CallAdminMutation && c != CallToken) {
		return
	}
	if d <= 0 {
		d = g.backOff
	}
	g.limited.Add(1)
	b := g.budgets[c]
	b.local.pause(g.now(), b.limit.share(g.replicas), d)
	if g.shared != nil {
		if err := g.shared.Pause(ctx, b.key, b.limit, d); err != nil {
			g.degraded.Add(1)
		}
	}
	g.warnOnce("429:"+c.String(), d, "agmigrate: Authgear answered 429 (rate limited); calls paused in every replica",
		"call", c.String(), "retry_in", d)
}

// rateLimited tells the governor of an Authgear answer to a call of kind
// c. For a 429 it pauses the budget and returns a *ThrottleError;
// otherwise it returns nil.
func (g *Governor) rateLimited(ctx context.Context, c Call, err error, retryAfter time.Duration) error {
	if !isRateLimited(err) {
		return nil
	}
	var he *adminapi.HTTPError
	if retryAfter <= 0 && g != nil && errors.As(err, &he) {
		retryAfter = parseRetryAfter(he.RetryAfter, g.now())
	}
	if retryAfter <= 0 && g != nil {
		retryAfter = g.backOff
	}
	g.Pause(ctx, c, retryAfter)
	return &ThrottleError{Call: c, Reason: ReasonRateLimited, RetryIn: retryAfter}
}

// errRateLimited marks a 429 from the token endpoint.
var errRateLimited = errors.New("agmigrate: Authgear answered 429")

// isRateLimited: Authgear (or a gateway before it) refused a call over its
// rate limit: HTTP 429, or the GraphQL error TooManyRequest/RateLimited.
func isRateLimited(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errRateLimited) {
		return true
	}
	var he *adminapi.HTTPError
	if errors.As(err, &he) && he.StatusCode == 429 {
		return true
	}
	var ge *adminapi.GraphQLError
	return errors.As(err, &ge) && (ge.ErrorName == "TooManyRequest" || ge.Reason == "RateLimited")
}

// Stats returns the governor's counters.
func (g *Governor) Stats() GovernorStats {
	if g == nil {
		return GovernorStats{}
	}
	in, q := g.gate.load(g.slots)
	return GovernorStats{InFlight: in, Queued: q, Throttled: g.throttled.Load(),
		RateLimited: g.limited.Load(), Degraded: g.degraded.Load(), Late: g.late.Load()}
}

// warnOnce logs a warning at most once per period for its topic: a surge
// must not turn into a log line per request.
func (g *Governor) warnOnce(topic string, period time.Duration, msg string, args ...any) {
	now := g.now()
	g.warnMu.Lock()
	last, seen := g.warned[topic]
	if seen && now.Sub(last) < max(period, time.Second) {
		g.warnMu.Unlock()
		return
	}
	g.warned[topic] = now
	g.warnMu.Unlock()
	g.log.Warn(msg, args...)
}

// Governor returns the governor of the middleware's calls to Authgear,
// for work that calls Authgear itself (revoke.Config.Wait, say).
func (m *Middleware) Governor() *Governor { return m.x.gov }

// checkGovernor refuses bounds the governor cannot keep.
func (c *Config) checkGovernor() error {
	bad := func(field, reason string) error { return &ConfigError{Field: field, Reason: reason} }
	switch {
	case !c.AdminBudget.valid():
		return bad("AdminBudget", "PerMinute must be in [0, 1e9] and Burst in [0, 1e6]")
	case !c.TokenBudget.valid():
		return bad("TokenBudget", "PerMinute must be in [0, 1e9] and Burst in [0, 1e6]")
	case c.QueueWait < 0 || c.RateLimitBackOff < 0:
		return bad("QueueWait/RateLimitBackOff", "must not be negative")
	case c.Replicas < 0:
		return bad("Replicas", "must not be negative")
	}
	return nil
}
