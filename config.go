package agmigrate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/verifier"
)

// FailurePolicy says what a request gets when its legacy session is valid
// but the exchange failed because of Authgear (down, slow, refusing).
type FailurePolicy int

const (
	// FailOpen serves the request as the legacy user and tries again on
	// the next request. The default: the legacy session is still valid.
	FailOpen FailurePolicy = iota
	// FailClosed answers 503 with Retry-After.
	FailClosed
)

// Config configures the middleware. Required fields say so; every other
// field's comment gives its default.
type Config struct {
	// Authgear verifies Authgear access tokens. Required.
	Authgear *verifier.Authgear
	// Legacy verifies legacy sessions. Required.
	Legacy verifier.Legacy
	// LegacyToken finds the legacy session in a request: a CookieExtractor,
	// a HeaderExtractor, or an ExtractorFunc. Required.
	LegacyToken Extractor
	// Admin is the Admin API client. Required.
	Admin *adminapi.Client
	// ClientID is the Authgear OAuth client sessions are created for (and
	// refreshed with). Use a first-party client that issues JWT access
	// tokens. Required.
	ClientID string

	// Delivery hands new sessions to clients. Default Cookies{}.
	Delivery Delivery
	// Store keeps exchange results. Default NewMemoryStore(100000) (about
	// 0.16 GiB when full); use redisstore with several replicas.
	Store Store
	// LocalMemory is how many exchanges and refreshes each replica keeps
	// in its own memory in front of a shared Store (not used with a
	// MemoryStore), so that repeat hits skip the round trip and a failing
	// shared store still gives one session per token per replica. Default
	// 100,000; negative: none.
	LocalMemory int
	// LocalFreshness is how long a value read from or written to the
	// shared store is served from local memory without asking the shared
	// store again; it bounds how late a replica sees another's tombstone.
	// Default 5 s.
	LocalFreshness time.Duration
	// RevalidateAfter: a stored exchange older than this is refreshed at
	// Authgear (one merged call) before it is handed out again, so a
	// session Authgear ended (user disabled, session revoked) is noticed.
	// Default 5 minutes; negative: only once its access token expired.
	RevalidateAfter time.Duration
	// ServeEndedAsLegacy serves a legacy token whose Authgear session has
	// ended (ErrSessionEnded) as a legacy user. Default false: 401 with
	// "sign in again"; the token never gets another session either way.
	ServeEndedAsLegacy bool
	// RefreshFailurePolicy applies when an Authgear cookie session cannot
	// be refreshed or checked now (Authgear or its keys unreachable).
	// Default FailOpen: the request goes on without the session (as
	// anonymous, cookies kept for the next request), or gets 503 when
	// RequireAuth is set. FailClosed: always 503.
	RefreshFailurePolicy FailurePolicy
	// RequireAuth answers 401 to requests without valid credentials.
	// Default false: they reach the handler with no identity.
	RequireAuth bool
	// FailurePolicy when Authgear fails. Default FailOpen.
	FailurePolicy FailurePolicy
	// ServeDisabledAsLegacy serves users disabled or deactivated in
	// Authgear as legacy users. Default false: 401, as Authgear would
	// refuse them after the migration.
	ServeDisabledAsLegacy bool

	// ExchangeTimeout bounds one exchange, retries included. Default 10 s.
	ExchangeTimeout time.Duration
	// Retries is how many times a transient Admin API failure is tried
	// again within the timeout. Default 2; negative: none.
	Retries int
	// NegativeTTL is how long "not in Authgear" and "disabled" results are
	// remembered, so an import gap costs one lookup per user per period.
	// Default one minute.
	NegativeTTL time.Duration
	// SessionTTL caps how long an exchange result is kept (it is never kept
	// past the legacy token's expiry). Default 30 days, Authgear's default
	// refresh-token idle timeout.
	SessionTTL time.Duration
	// BreakerThreshold consecutive transient failures open the circuit for
	// BreakerCoolDown. Defaults 5 and 30 s.
	BreakerThreshold int
	BreakerCoolDown  time.Duration

	// MaxExchanges bounds the exchanges in flight in this process, so a
	// cut-over surge does not start thousands at once. Default 64;
	// negative: no bound.
	MaxExchanges int
	// ExchangeQueue is how many exchanges may wait for a slot beyond
	// MaxExchanges, interactive ones ahead of background ones; more are
	// throttled at once (ErrThrottled: the failure policy applies).
	// Default 1024; negative: none waits.
	ExchangeQueue int
	// QueueWait bounds how long a request waits for an exchange slot or
	// for its call in a budget before the failure policy applies. Default
	// ExchangeTimeout. On cut-over day a few seconds, with FailOpen, serve
	// a queued user as legacy soon and exchange them on a later request.
	QueueWait time.Duration
	// AdminBudget limits Admin API mutations (createSession, and the
	// password and revocation work that takes Governor().Wait), summed
	// over every replica that shares the Store. Default: none, as Authgear
	// sets no Admin API limit in the versions seen; set it below your
	// plan's limit when Authgear or a gateway sets one.
	AdminBudget Budget
	// TokenBudget limits the refreshes this app sends to Authgear's token
	// endpoint, over every replica sharing the Store. Default: none (each
	// user's refreshes count against their own IP at Authgear: see
	// ClientIP). Set it under 120 a minute per egress address when
	// Authgear does not take the forwarded client IP.
	TokenBudget Budget
	// Replicas is how many replicas share the budgets. Used only while the
	// shared store fails: each replica then keeps to 1/Replicas of each
	// budget. Default 1.
	Replicas int
	// RateLimitBackOff is how long an Authgear 429 answer without
	// Retry-After pauses that kind of call in every replica. Default 2 s.
	RateLimitBackOff time.Duration
	// ClientIP gives the end user's IP address, which the middleware
	// forwards (Forwarded: for= and X-Forwarded-For) with the refreshes it
	// makes, so that Authgear behind a trusted proxy counts each user
	// against their own IP. Default RemoteAddrIP: the connection's peer,
	// never a client-supplied header. Return "" to forward nothing.
	ClientIP func(r *http.Request) string

	// Rollout chooses who is migrated now (rolling migration). Default nil:
	// everyone.
	Rollout *Rollout
	// Shadow verifies and looks users up but creates no session and sets no
	// token: a dry run before the cut-over.
	Shadow bool
	// SunsetAt, when set, is when legacy sessions stop being accepted.
	SunsetAt time.Time

	// OnExchanged is called once per legacy token, after its session was
	// created, e.g. to revoke the legacy session so a stolen legacy token
	// cannot be exchanged elsewhere. It runs detached from the request.
	OnExchanged func(ctx context.Context, id *verifier.LegacyIdentity, legacyToken string)
	// OnSessionCreated is called with every session agmigrate creates at
	// Authgear (exchange and password capture), right after createSession,
	// to keep the session ledger in the app's own database (see package
	// revoke); a Store that is a SessionLedger records it too. It carries
	// no token. Default none.
	OnSessionCreated func(ctx context.Context, s CreatedSession)
	// DeviceInfo describes the client for createSession, which Authgear
	// keeps with the session. Default: {"agmigrate": {"user_agent": the
	// request's User-Agent}}. The session list itself shows the
	// User-Agent of the session's last refresh.
	DeviceInfo func(r *http.Request) adminapi.DeviceInfo

	// LoginIDMatch is when the login ID Authgear holds for the user its
	// lookup found is the verified one; only then is a session created
	// (ErrLoginIDMismatch otherwise). Default: ASCII letters compare
	// without case in emails and usernames, everything else exactly. A
	// case-sensitive legacy system sets EmailCaseSensitive or
	// UsernameCaseSensitive (see LoginIDMatch).
	LoginIDMatch LoginIDMatch
	// AcceptClientIDs are further Authgear clients of the project whose
	// access tokens are taken as sessions, besides ClientID (a mobile app
	// sharing the API, say). Default none: a token of any other client is
	// refused with 401, and so is an opaque token, whose client cannot be
	// told.
	AcceptClientIDs []string
	// LogHashKey keys the hash (HMAC-SHA256) that stands for a login ID in
	// log lines. Set it, 16 bytes or more and kept secret, to match log
	// lines across replicas and restarts. Default: random per process.
	LogHashKey SecretKey
	// InsecureHTTP accepts Authgear endpoints (the verifier's issuer, the
	// Admin API endpoint) given as http:// for hosts that are not loopback.
	// Tokens then travel in clear. Default false: http:// is refused except
	// for localhost and loopback addresses.
	InsecureHTTP bool

	// Observer is told every request's outcome. Default none.
	Observer Observer
	// Logger receives warnings and errors (never a token). Default: silent.
	Logger *slog.Logger
	// HTTPClient calls Authgear's token endpoint to refresh. Default: 10 s
	// timeout.
	HTTPClient *http.Client
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// ConfigError is what New returns for a configuration it refuses.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string { return "agmigrate: config: " + e.Field + ": " + e.Reason }

// ErrConfig is matched by every *ConfigError.
var ErrConfig = errors.New("agmigrate: invalid config")

// Is matches ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

func (c *Config) check() error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.Authgear == nil:
		return bad("Authgear", "required: a *verifier.Authgear for Authgear access tokens")
	case c.Legacy == nil:
		return bad("Legacy", "required: a verifier.Legacy for the legacy sessions")
	case c.LegacyToken == nil:
		return bad("LegacyToken", "required: where the legacy session is (CookieExtractor, HeaderExtractor, ExtractorFunc)")
	case c.Admin == nil:
		return bad("Admin", "required: an *adminapi.Client")
	case c.ClientID == "":
		return bad("ClientID", "required: the Authgear client to create sessions for")
	case c.ExchangeTimeout < 0 || c.NegativeTTL < 0 || c.SessionTTL < 0 || c.BreakerCoolDown < 0:
		return bad("ExchangeTimeout/NegativeTTL/SessionTTL/BreakerCoolDown", "must not be negative")
	case c.FailurePolicy != FailOpen && c.FailurePolicy != FailClosed:
		return bad("FailurePolicy", "unknown policy %d", c.FailurePolicy)
	case c.RefreshFailurePolicy != FailOpen && c.RefreshFailurePolicy != FailClosed:
		return bad("RefreshFailurePolicy", "unknown policy %d", c.RefreshFailurePolicy)
	case c.LocalFreshness < 0:
		return bad("LocalFreshness", "must not be negative")
	}
	if h, ok := c.LegacyToken.(HeaderExtractor); ok && h.Name == "" {
		return bad("LegacyToken", "HeaderExtractor needs a header Name")
	}
	if ck, ok := c.LegacyToken.(CookieExtractor); ok && ck.Name == "" {
		return bad("LegacyToken", "CookieExtractor needs a cookie Name")
	}
	delivery := c.Delivery
	if delivery == nil {
		delivery = Cookies{} // what New defaults to
	}
	// Cookies inside Both too: the middleware reads and sets those.
	if ck, ok := cookiesOf(delivery); ok {
		if ck.AccessName == ck.RefreshName {
			return bad("Delivery", "access and refresh cookies need different names")
		}
		if le, ok := c.LegacyToken.(CookieExtractor); ok && (le.Name == ck.AccessName || le.Name == ck.RefreshName) {
			return bad("Delivery", "the legacy cookie %q has the name of an Authgear cookie", le.Name)
		}
	}
	if r := c.Rollout; r != nil && (r.Percent < 0 || r.Percent > 100) {
		return bad("Rollout.Percent", "%v is outside [0, 100]", r.Percent)
	}
	if err := c.checkGovernor(); err != nil {
		return err
	}
	return c.checkSafety()
}
