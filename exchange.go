package agmigrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/verifier"
	"golang.org/x/sync/singleflight"
)

// Errors of an exchange, matched with errors.Is.
var (
	// ErrUserMissing: no Authgear user has the legacy login ID (an import
	// gap). No session is created.
	ErrUserMissing = errors.New("agmigrate: user not found in Authgear")
	// ErrUserDisabled: the Authgear user is disabled or deactivated.
	// Authgear's createSession would not refuse, so agmigrate does.
	ErrUserDisabled = errors.New("agmigrate: user disabled or deactivated in Authgear")
	// ErrAdminAPI: the Admin API failed (unreachable, timing out, refusing
	// the admin key, createSession switched off, circuit open). The
	// failure policy decides what the request gets.
	ErrAdminAPI = errors.New("agmigrate: Authgear Admin API failed")
	// ErrCircuitOpen: recent Admin API calls kept failing, so none is made
	// for a while. Also matches ErrAdminAPI.
	ErrCircuitOpen = errors.New("agmigrate: Admin API circuit open")
	// ErrUnusableSession: createSession gave a token the Authgear verifier
	// refuses, nearly always because the Admin API was reached under
	// another host than the public one (iss/aud differ). Also matches
	// ErrAdminAPI.
	ErrUnusableSession = errors.New("agmigrate: the new session's access token does not verify")
)

// Tokens is an Authgear session as handed to a client. It hides its
// tokens from fmt, slog and encoding/json (redact.go): read the fields to
// use them.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	ExpiresIn    time.Duration // lifetime of the access token when issued
	IssuedAt     time.Time
}

// ExchangeResult is the Authgear session a legacy token was exchanged for.
type ExchangeResult struct {
	Tokens *Tokens
	UserID string
	Claims *verifier.AuthgearClaims
	// Reused: the session was created by an earlier exchange (found in the
	// store, possibly written by another replica).
	Reused bool
	// Created: this call made the session. Exactly one call per legacy
	// token has it, among all concurrent and later ones.
	Created bool
}

// record is what the store holds, sealed, for a legacy token.
type record struct {
	Negative     string `json:"neg,omitempty"` // "missing", "disabled" or "mismatch"
	UserID       string `json:"uid,omitempty"`
	AccessToken  string `json:"at,omitempty"`
	RefreshToken string `json:"rt,omitempty"`
	TokenType    string `json:"tt,omitempty"`
	ExpiresIn    int64  `json:"exp_in,omitempty"`
	IssuedAt     int64  `json:"iat,omitempty"`
}

func (rec *record) tokens() *Tokens {
	return &Tokens{AccessToken: rec.AccessToken, RefreshToken: rec.RefreshToken, TokenType: rec.TokenType,
		ExpiresIn: time.Duration(rec.ExpiresIn) * time.Second, IssuedAt: time.Unix(rec.IssuedAt, 0)}
}

// Exchanger turns a verified legacy session into an Authgear session, once
// per legacy token: concurrent calls for one token are merged (singleflight),
// results are kept in the Store (sealed), a shared store's lock makes it
// once across replicas, and the merged work runs detached from any one
// caller, under its own timeout.
type Exchanger struct {
	admin      *adminapi.Client
	ag         *verifier.Authgear
	clientID   string
	store      Store
	timeout    time.Duration
	negTTL     time.Duration
	refreshTTL time.Duration
	attempts   int
	backoff    time.Duration
	breaker    *breaker
	onCreated  func(ctx context.Context, id *verifier.LegacyIdentity, legacyToken string)
	rf         *refresher // renews a stored session whose access token has expired
	log        *slog.Logger
	storeErr   func(error)
	now        func() time.Time
	sf         singleflight.Group
	match      LoginIDMatch // when the user Authgear found is the verified one
	bind       binding      // ties store entries to the project and client
	idKey      []byte       // keys the login-ID hash in logs
	accept     []string     // clients whose access tokens are sessions
}

// Exchange exchanges legacyToken, already verified as id, for an Authgear
// session. device describes the client for Authgear's session list.
func (x *Exchanger) Exchange(ctx context.Context, legacyToken string, id *verifier.LegacyIdentity, device adminapi.DeviceInfo) (*ExchangeResult, error) {
	key := x.bind.key("x", legacyToken)
	if res, err, ok := x.fromStore(ctx, key, legacyToken, id.ExpiresAt); ok {
		return res, err
	}
	ch := x.sf.DoChan(key, func() (any, error) {
		// Detached from the first caller: if it gives up, the others still
		// get the session, and it is not created twice.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.timeout)
		defer cancel()
		return x.exchangeOnce(fctx, key, legacyToken, id, device)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		res := *r.Val.(*ExchangeResult)
		if r.Shared {
			res.Created = false // exactly one caller is told it created the session
		}
		return &res, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %v", ErrAdminAPI, ctx.Err())
	}
}

// fromStore answers from a stored record. ok is false on a miss.
func (x *Exchanger) fromStore(ctx context.Context, key, secret string, legacyExp time.Time) (*ExchangeResult, error, bool) {
	raw, err := x.store.Get(ctx, key)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			x.storeErr(err)
		}
		return nil, nil, false
	}
	pt, err := x.bind.unseal("x", secret, key, raw)
	if err != nil {
		x.storeErr(err)
		return nil, nil, false
	}
	var rec record
	if err := json.Unmarshal(pt, &rec); err != nil {
		x.storeErr(err)
		return nil, nil, false
	}
	switch rec.Negative {
	case "missing":
		return nil, ErrUserMissing, true
	case "disabled":
		return nil, ErrUserDisabled, true
	case "mismatch":
		return nil, ErrLoginIDMismatch, true
	}
	res := &ExchangeResult{Tokens: rec.tokens(), UserID: rec.UserID, Reused: true}
	// A session exchanged more than an access-token lifetime ago: hand out
	// a fresh access token, not the expired one (the refresh is merged and
	// shared like any other).
	if x.rf != nil && !x.now().Before(res.Tokens.IssuedAt.Add(res.Tokens.ExpiresIn)) {
		t, err := x.rf.refresh(ctx, rec.RefreshToken)
		if errors.Is(err, ErrRefreshRejected) {
			return nil, nil, false // the session is gone: exchange anew
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrAdminAPI, err), true
		}
		res.Tokens = t
		// Keep the renewed tokens: with rotation the old refresh token no
		// longer works.
		rec.AccessToken, rec.RefreshToken, rec.TokenType = t.AccessToken, t.RefreshToken, t.TokenType
		rec.ExpiresIn, rec.IssuedAt = int64(t.ExpiresIn/time.Second), t.IssuedAt.Unix()
		x.put(ctx, key, secret, &rec, x.ttl(legacyExp))
	}
	// The token verified when it was made; verify again (usually a cache
	// hit) for the claims, and in case the keys have changed since.
	if c, err := x.ag.Verify(ctx, res.Tokens.AccessToken); err == nil {
		res.Claims = c
	}
	return res, nil, true
}

func (x *Exchanger) put(ctx context.Context, key, secret string, rec *record, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	pt, _ := json.Marshal(rec)
	if err := x.store.Put(ctx, key, x.bind.seal("x", secret, key, pt), ttl); err != nil {
		x.storeErr(err)
	}
}

// exchangeOnce is the merged work for one legacy token in this process.
func (x *Exchanger) exchangeOnce(ctx context.Context, key, secret string, id *verifier.LegacyIdentity, device adminapi.DeviceInfo) (*ExchangeResult, error) {
	// Another flight may have finished between our miss and now.
	if res, err, ok := x.fromStore(ctx, key, secret, id.ExpiresAt); ok {
		return res, err
	}
	if l, ok := x.store.(Locker); ok {
		unlock, got, err := lockOrWait(ctx, x.store, l, key, x.timeout+5*time.Second)
		if err != nil {
			x.storeErr(err) // shared store down: go on with per-process dedup
		} else if !got {
			// Another replica exchanged it while we waited.
			if res, err, ok := x.fromStore(ctx, key, secret, id.ExpiresAt); ok {
				return res, err
			}
		} else {
			defer unlock(context.WithoutCancel(ctx))
			if res, err, ok := x.fromStore(ctx, key, secret, id.ExpiresAt); ok {
				return res, err
			}
		}
	}
	return x.create(ctx, key, secret, id, device)
}

// create looks the user up and creates the session.
func (x *Exchanger) create(ctx context.Context, key, secret string, id *verifier.LegacyIdentity, device adminapi.DeviceInfo) (*ExchangeResult, error) {
	var user *adminapi.User
	err := x.call(ctx, true, func(ctx context.Context) error {
		var err error
		user, err = x.admin.GetUserByLoginID(ctx, id.LoginIDKey, id.LoginID)
		return err
	})
	switch {
	case errors.Is(err, adminapi.ErrUserNotFound), errors.Is(err, adminapi.ErrInvalidLoginID):
		x.put(ctx, key, secret, &record{Negative: "missing"}, x.negTTL)
		return nil, ErrUserMissing
	case err != nil:
		return nil, err
	case user.IsDisabled || user.IsDeactivated:
		x.put(ctx, key, secret, &record{Negative: "disabled"}, x.negTTL)
		return nil, ErrUserDisabled
	case !x.match.Match(id.LoginIDKey, id.LoginID, heldLoginID(user, id.LoginIDKey)):
		// Authgear folded the login ID onto another account's: a legacy
		// identity must only ever become its own account.
		x.put(ctx, key, secret, &record{Negative: "mismatch"}, x.negTTL)
		x.log.Error("agmigrate: Authgear's lookup found a user whose login ID differs from the verified one; no session created",
			"login_id_key", id.LoginIDKey, "login_id_hash", x.loginIDHash(id.LoginID), "user_id", user.ID)
		return nil, ErrLoginIDMismatch
	}
	var sess *adminapi.Session
	// Retried only when Authgear answered with an error (its transaction
	// was rolled back) or the connection was never made: a timeout may
	// hide a session that was created, and a retry would make a second.
	err = x.call(ctx, false, func(ctx context.Context) error {
		var err error
		sess, err = x.admin.CreateSession(ctx, user.NodeID, x.clientID, device)
		return err
	})
	if err != nil {
		return nil, err
	}
	now := x.now()
	rec := &record{UserID: user.ID, AccessToken: sess.AccessToken, RefreshToken: sess.RefreshToken,
		TokenType: sess.TokenType, ExpiresIn: int64(sess.ExpiresIn / time.Second), IssuedAt: now.Unix()}
	claims, verr := x.ag.Verify(ctx, sess.AccessToken)
	if verr != nil && errors.Is(verr, verifier.ErrInvalidToken) {
		x.log.Error("agmigrate: createSession returned an access token that does not verify; is the Admin API reached under the public host?",
			"error", verr, "user_id", user.ID)
		return nil, fmt.Errorf("%w: %w: %v", ErrAdminAPI, ErrUnusableSession, verr)
	}
	x.put(ctx, key, secret, rec, x.ttl(id.ExpiresAt))
	if x.onCreated != nil {
		x.onCreated(ctx, id, secret)
	}
	return &ExchangeResult{Tokens: rec.tokens(), UserID: user.ID, Claims: claims, Created: true}, nil
}

// ttl keeps a result no longer than the legacy token and the refresh token
// live.
func (x *Exchanger) ttl(legacyExp time.Time) time.Duration {
	if legacyExp.IsZero() {
		return x.refreshTTL
	}
	return min(x.refreshTTL, legacyExp.Sub(x.now()))
}

// call runs an Admin API call through the circuit breaker, retrying
// transient failures with backoff within ctx. idempotent calls are retried
// on any transient failure; others only when no session can have been made.
func (x *Exchanger) call(ctx context.Context, idempotent bool, f func(context.Context) error) error {
	wait := x.backoff
	for attempt := 1; ; attempt++ {
		if !x.breaker.allow() {
			return fmt.Errorf("%w: %w", ErrAdminAPI, ErrCircuitOpen)
		}
		err := f(ctx)
		if err == nil || !adminapi.IsTransient(err) {
			x.breaker.record(err == nil || !adminapi.IsTransient(err))
			if err != nil && !errors.Is(err, adminapi.ErrUserNotFound) && !errors.Is(err, adminapi.ErrInvalidLoginID) {
				return fmt.Errorf("%w: %w", ErrAdminAPI, err)
			}
			return err
		}
		x.breaker.record(false)
		retryable := idempotent || answeredOrNeverSent(err)
		if !retryable || attempt >= x.attempts {
			return fmt.Errorf("%w: %w", ErrAdminAPI, err)
		}
		select {
		case <-time.After(jitter(wait)):
			wait *= 2
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrAdminAPI, err)
		}
	}
}

// answeredOrNeverSent: Authgear answered with a 5xx/429 (nothing was
// committed), or the connection was refused (nothing was sent).
func answeredOrNeverSent(err error) bool {
	var he *adminapi.HTTPError
	if errors.As(err, &he) {
		return true
	}
	var te *adminapi.TransportError
	return errors.As(err, &te) && isDialError(te.Err)
}
