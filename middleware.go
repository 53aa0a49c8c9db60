package agmigrate

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/verifier"
)

// Middleware accepts Authgear sessions and legacy sessions, exchanging a
// legacy session for an Authgear session once, so that users move to
// Authgear without logging in again. Create it with New; wrap handlers
// with Handler.
type Middleware struct {
	cfg     Config
	x       *Exchanger
	rf      *refresher
	cookies Cookies
	hasCk   bool
	log     *slog.Logger
	now     func() time.Time
	shadow  shadowCache
	evict   evictions
}

// New checks cfg and returns the middleware. A configuration it refuses
// gives a *ConfigError (errors.Is(err, ErrConfig)).
func New(cfg Config) (*Middleware, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Delivery == nil {
		cfg.Delivery = Cookies{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Store == nil {
		ms := NewMemoryStore(defaultMemoryEntries)
		ms.now = cfg.Now
		cfg.Store = ms
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(discard{})
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.DeviceInfo == nil {
		cfg.DeviceInfo = defaultDeviceInfo
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = RemoteAddrIP
	}
	retries := cfg.Retries
	if retries == 0 {
		retries = 2
	}
	m := &Middleware{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	m.cookies, m.hasCk = cookiesOf(cfg.Delivery)
	storeErr := func(err error) {
		m.log.Warn("agmigrate: store failed; deduplicating in this process only", "error", err)
		if so, ok := cfg.Observer.(StoreObserver); ok {
			so.StoreFailed(err)
		}
	}
	m.x = &Exchanger{
		admin: cfg.Admin, ag: cfg.Authgear, clientID: cfg.ClientID, store: cfg.Store,
		timeout: orDefault(cfg.ExchangeTimeout, 10*time.Second), negTTL: orDefault(cfg.NegativeTTL, time.Minute),
		refreshTTL: orDefault(cfg.SessionTTL, 30*24*time.Hour), attempts: max(1, retries+1), backoff: 100 * time.Millisecond,
		breaker:   &breaker{threshold: orDefault(cfg.BreakerThreshold, 5), coolDown: orDefault(cfg.BreakerCoolDown, 30*time.Second), now: cfg.Now},
		onCreated: cfg.OnExchanged, log: cfg.Logger, storeErr: storeErr, now: cfg.Now, onSession: cfg.OnSessionCreated,
	}
	tr := &tier{shared: cfg.Store, fresh: orDefault(cfg.LocalFreshness, 5*time.Second), keep: m.x.refreshTTL,
		storeErr: storeErr, now: cfg.Now}
	if ms, inProcess := cfg.Store.(*MemoryStore); inProcess {
		m.watchEvictions(ms)
	} else if cfg.LocalMemory >= 0 {
		tr.local = newLocalMemory(orDefault(cfg.LocalMemory, defaultMemoryEntries))
		tr.local.onLost = m.localLost
	}
	m.x.tier = tr
	m.x.revalidate = max(0, orDefault(cfg.RevalidateAfter, 5*time.Minute))
	m.rf = &refresher{tokenURL: cfg.Authgear.Issuer() + "/oauth2/token", clientID: cfg.ClientID, http: cfg.HTTPClient,
		store: cfg.Store, tier: tr, keep: time.Minute, headTTL: m.x.refreshTTL,
		rejects: newLocalMemory(4096), rejectTTL: time.Minute, now: cfg.Now}
	m.x.rf = m.rf
	m.x.secure(&cfg)
	m.x.gov = newGovernor(&cfg, m.x.timeout, bindingOf(cfg.Admin, ""))
	m.rf.gov = m.x.gov
	return m, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Exchanger returns the exchanger the middleware uses, for code that
// exchanges legacy sessions itself.
func (m *Middleware) Exchanger() *Exchanger { return m.x }

// Handler wraps next: requests reach it with the identity in their context
// (IdentityFrom), or are answered 401/503 as the configuration says.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var start time.Time
		if m.cfg.Observer != nil {
			start = time.Now()
		}
		var ev Event
		id, ok := m.authenticate(w, r, &ev)
		if m.cfg.Observer != nil {
			ev.Duration = time.Since(start)
			ev.Source, ev.UserID = id.Source, id.UserID
			m.cfg.Observer.Observe(r, ev)
		}
		if !ok {
			return
		}
		if ev.tokens {
			// Tokens were set on this response: whatever the handler says
			// about caching, no cache may keep it.
			nw := &noStoreWriter{ResponseWriter: w}
			next.ServeHTTP(nw, withIdentity(r, id))
			nw.finish()
			return
		}
		next.ServeHTTP(w, withIdentity(r, id))
	})
}

// authenticate runs the request path. ok false: the answer was written.
func (m *Middleware) authenticate(w http.ResponseWriter, r *http.Request, ev *Event) (Identity, bool) {
	ctx := r.Context()
	tok, fromHeader := bearer(r), true
	if tok == "" && m.hasCk {
		tok, fromHeader = readCookie(r, m.cookies.AccessName), false
	}
	if tok != "" {
		c, err := m.verifyAuthgear(ctx, tok)
		switch {
		case err == nil:
			ev.Outcome = OutcomeAuthgear
			return Identity{UserID: c.Subject, Source: SourceAuthgear, Claims: c}, true
		case !fromHeader && errors.Is(err, verifier.ErrUnavailable):
			// A cookie session that cannot be checked now is treated as
			// one that cannot be refreshed now (RefreshFailurePolicy).
			return m.cannotCheck(w, r, ev, err)
		case errors.Is(err, verifier.ErrUnavailable):
			ev.Outcome, ev.Err = OutcomeRefused, err
			writeUnavailable(w, 5*time.Second, "the Authgear session cannot be checked now")
			return Identity{}, false
		case !fromHeader && errors.Is(err, verifier.ErrUnknownKey):
			// Signed by a key this process has not fetched yet (a rotation
			// inside the verifier's cool-down): the session is likely
			// fine, and a refresh would only rotate it again.
			return m.cannotCheck(w, r, ev, err)
		case fromHeader && m.cfg.LegacyToken.Extract(r) != tok:
			ev.Outcome, ev.Err = OutcomeRefused, err
			writeAuthError(w, "invalid_token", authDesc(err))
			return Identity{}, false
		}
		// An Authgear cookie that no longer verifies: refresh below.
	}
	if m.hasCk {
		if rt := readCookie(r, m.cookies.RefreshName); rt != "" {
			if id, ok, done := m.refresh(w, r, rt, ev); done {
				return id, ok
			}
		}
	}
	return m.legacy(w, r, ev)
}

// refresh renews the cookie session. done says the request's way is
// decided, as id and ok (authenticate's results); otherwise the request
// goes on without the session.
func (m *Middleware) refresh(w http.ResponseWriter, r *http.Request, rt string, ev *Event) (id Identity, ok, done bool) {
	ctx := withClientIP(withUserAgent(r.Context(), r.UserAgent()), m.cfg.ClientIP(r))
	t, err := m.rf.refresh(ctx, rt, refreshDeviceInfo(m.cfg.DeviceInfo(r)))
	if errors.Is(err, ErrRefreshRejected) {
		m.cookies.clear(w, r)
		ev.tokens = true
		return Identity{}, false, false
	}
	if err != nil {
		ev.Throttled = errors.Is(err, ErrThrottled)
		if !ev.Throttled { // the governor logs throttling once per period
			m.log.Warn("agmigrate: refreshing an Authgear session failed", "error", err)
		}
		id, ok := m.cannotCheck(w, r, ev, err)
		return id, ok, true
	}
	c, err := m.verifyAuthgear(r.Context(), t.AccessToken)
	if errors.Is(err, verifier.ErrUnknownKey) || errors.Is(err, verifier.ErrUnavailable) {
		// The new token is signed by a key not fetched yet: keep the
		// rotated refresh token (the old one may no longer work) and
		// check the access token again once the keys are fetched.
		m.cookies.Deliver(w, r, t)
		ev.tokens = true
		id, ok := m.cannotCheck(w, r, ev, err)
		return id, ok, true
	}
	if err != nil {
		m.cookies.clear(w, r)
		ev.tokens = true
		return Identity{}, false, false
	}
	m.cookies.Deliver(w, r, t)
	ev.Outcome, ev.tokens = OutcomeRefreshed, true
	return Identity{UserID: c.Subject, Source: SourceAuthgear, Claims: c}, true, true
}

// cannotCheck answers for a cookie session that cannot be renewed or
// checked now (Authgear or its keys unreachable). Under RefreshFailurePolicy
// FailOpen a request that may be anonymous goes on without the session
// (its cookies kept, for the next request); otherwise 503.
func (m *Middleware) cannotCheck(w http.ResponseWriter, r *http.Request, ev *Event, err error) (Identity, bool) {
	if m.cfg.RefreshFailurePolicy == FailOpen && !m.cfg.RequireAuth {
		id, ok := m.legacy(w, r, ev)
		if ev.Err == nil {
			ev.Err = err
		}
		return id, ok
	}
	ev.Outcome, ev.Err = OutcomeRefused, err
	writeUnavailable(w, 5*time.Second, "the Authgear session cannot be checked now")
	return Identity{}, false
}

// legacy handles a request without a usable Authgear session.
func (m *Middleware) legacy(w http.ResponseWriter, r *http.Request, ev *Event) (Identity, bool) {
	ctx := r.Context()
	lt := m.cfg.LegacyToken.Extract(r)
	if lt == "" {
		ev.Outcome = OutcomeAnonymous
		if m.cfg.RequireAuth {
			writeAuthError(w, "", "authentication required")
			return Identity{}, false
		}
		return Identity{}, true
	}
	if !m.cfg.SunsetAt.IsZero() && !m.now().Before(m.cfg.SunsetAt) {
		ev.Outcome = OutcomeRefused
		writeAuthError(w, "invalid_token", "legacy sessions are no longer accepted; sign in again")
		return Identity{}, false
	}
	lid, err := m.cfg.Legacy.VerifyLegacy(ctx, lt)
	if err != nil {
		ev.Outcome, ev.Err = OutcomeRefused, err
		if errors.Is(err, verifier.ErrInvalidToken) {
			writeAuthError(w, "invalid_token", authDesc(err))
		} else {
			m.log.Warn("agmigrate: the legacy session cannot be checked", "error", err)
			writeUnavailable(w, 5*time.Second, "the session cannot be checked now")
		}
		return Identity{}, false
	}
	ev.LoginID = lid.LoginID
	legacyID := Identity{Source: SourceLegacy, Legacy: lid}
	if !m.cfg.Rollout.includes(lid, r) {
		ev.Outcome = OutcomeNotRolledOut
		return legacyID, true
	}
	if m.cfg.Shadow {
		ev.Outcome, ev.Shadow = OutcomeShadow, m.shadowLookup(ctx, lt, lid)
		return legacyID, true
	}
	res, err := m.x.Exchange(withClientIP(withUserAgent(ctx, r.UserAgent()), m.cfg.ClientIP(r)), lt, lid, m.cfg.DeviceInfo(r))
	switch {
	case err == nil:
		m.cfg.Delivery.Deliver(w, r, res.Tokens)
		noStore(w)
		ev.tokens = true
		if ce, ok := m.cfg.LegacyToken.(CookieExtractor); ok {
			clearCookie(w, ce, !(m.hasCk && m.cookies.InsecureAllowHTTP))
		}
		ev.Outcome = outcomeOf(res)
		return Identity{UserID: res.UserID, Source: SourceExchanged, Claims: res.Claims, Legacy: lid}, true
	case errors.Is(err, ErrUserMissing):
		ev.Outcome = OutcomeUserMissing
		m.log.Info("agmigrate: legacy user not found in Authgear", "login_id_hash", m.x.loginIDHash(lid.LoginID), "login_id_key", lid.LoginIDKey)
		return legacyID, true
	case errors.Is(err, ErrLoginIDMismatch):
		ev.Outcome = OutcomeLoginIDMismatch // logged by the exchange
		return legacyID, true
	case errors.Is(err, ErrUserDisabled):
		ev.Outcome = OutcomeUserDisabled
		if m.cfg.ServeDisabledAsLegacy {
			return legacyID, true
		}
		writeAuthError(w, "invalid_token", "the account is disabled")
		return Identity{}, false
	case errors.Is(err, ErrSessionEnded):
		ev.Outcome = OutcomeSessionEnded
		if m.cfg.ServeEndedAsLegacy {
			return legacyID, true
		}
		if ce, ok := m.cfg.LegacyToken.(CookieExtractor); ok {
			clearCookie(w, ce, !(m.hasCk && m.cookies.InsecureAllowHTTP))
		}
		writeAuthError(w, "invalid_token", "the session has ended; sign in again")
		return Identity{}, false
	}
	if errors.Is(err, ErrThrottled) {
		// Over budget, not broken: the governor logs it once per period.
		ev.Outcome, ev.Err, ev.Throttled = OutcomeThrottled, err, true
		if m.cfg.FailurePolicy == FailClosed {
			writeUnavailable(w, retryIn(err), "sign-in is being upgraded; try again shortly")
			return Identity{}, false
		}
		return legacyID, true
	}
	ev.Outcome, ev.Err = OutcomeAdminError, err
	m.logAdminError(err)
	if m.cfg.FailurePolicy == FailClosed {
		writeUnavailable(w, m.retryAfter(), "sign-in is being upgraded; try again shortly")
		return Identity{}, false
	}
	return legacyID, true
}

func (m *Middleware) retryAfter() time.Duration {
	if errors.Is(m.x.breaker.openErr(), ErrCircuitOpen) {
		return m.x.breaker.coolDown
	}
	return 5 * time.Second
}

// outcomeOf tells apart the one request whose exchange created the
// session from those that joined it or reused it.
func outcomeOf(res *ExchangeResult) Outcome {
	switch {
	case res.Created:
		return OutcomeExchanged
	case res.Reused:
		return OutcomeExchangeReused
	}
	return OutcomeExchangeJoined
}

func (m *Middleware) logAdminError(err error) {
	switch {
	case errors.Is(err, adminapi.ErrCreateSessionDisabled), errors.Is(err, adminapi.ErrForbidden), errors.Is(err, ErrUnusableSession),
		errors.Is(err, ErrCircuitOpen):
		// Logged once per period, when the circuit opened.
	default:
		m.log.Warn("agmigrate: exchange failed", "error", err)
	}
}

func (m *Middleware) observe(r *http.Request, ev Event) {
	if m.cfg.Observer != nil {
		m.cfg.Observer.Observe(r, ev)
	}
}

// authDesc is the error description of a refused token: the verifier's
// reason, which never contains the token.
func authDesc(err error) string {
	var msg string
	for _, k := range []error{verifier.ErrExpired, verifier.ErrNotYetValid, verifier.ErrSignature, verifier.ErrIssuer,
		verifier.ErrAudience, verifier.ErrAlgorithm, verifier.ErrMalformed, verifier.ErrUnknownKey, verifier.ErrLoginID, verifier.ErrInactive} {
		if errors.Is(err, k) {
			msg = k.Error()
			break
		}
	}
	if msg == "" {
		msg = "verifier: invalid token"
	}
	return msg[len("verifier: "):]
}

func defaultDeviceInfo(r *http.Request) adminapi.DeviceInfo {
	ua := r.UserAgent()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	return adminapi.DeviceInfo{"agmigrate": map[string]any{"user_agent": ua}}
}

type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool  { return false }
func (discard) Handle(context.Context, slog.Record) error { return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discard) WithGroup(string) slog.Handler           { return d }
