package agmigrate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
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
	// Joined: this call waited for an exchange that another call of this
	// process was making, and shares its session.
	Joined bool
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
	At           int64  `json:"at_ns,omitempty"` // when these tokens were obtained (orders renewals)
	Until        int64  `json:"until,omitempty"` // unix time the record stops counting
	Device       string `json:"dev,omitempty"`   // x_device_info sent with this session's refreshes
	HeadKey      string `json:"hk,omitempty"`    // opens the session's head (head.go)
	HeadSeen     string `json:"hs,omitempty"`    // the head sealing last adopted
	Who          string `json:"who,omitempty"`   // the verified identity it answers for (whoOf)
}

// whoOf names a verified legacy identity in a record: a record answers
// only for the identity it was made for, even under the same token (a
// legacy system may hand a session ID out again, to someone else).
func whoOf(id *verifier.LegacyIdentity) string {
	h := sha256.Sum256([]byte(id.LoginIDKey + "\x00" + id.LoginID))
	return hex.EncodeToString(h[:16])
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
	match      LoginIDMatch  // when the user Authgear found is the verified one
	bind       binding       // ties store entries to the project and client
	idKey      []byte        // keys the login-ID hash in logs
	accept     []string      // clients whose access tokens are sessions
	opaqueAny  bool          // the verifier takes opaque tokens of any client (its Unsafe opt-in)
	tier       *tier         // the store, behind this replica's local memory
	revalidate time.Duration // a stored session older than this is refreshed before it is handed out
	gov        *Governor     // bounds exchanges in flight and paces Authgear calls (governor.go)

	// onSession is Config.OnSessionCreated (ledger.go).
	onSession func(context.Context, CreatedSession)

	unclaimed unclaimed // creations every caller gave up on (claims.go)
}

// Exchange exchanges legacyToken, already verified as id, for an Authgear
// session. device describes the client for Authgear's session list.
func (x *Exchanger) Exchange(ctx context.Context, legacyToken string, id *verifier.LegacyIdentity, device adminapi.DeviceInfo) (*ExchangeResult, error) {
	key := x.bind.key("x", legacyToken)
	if res, err, ok := x.reuse(ctx, key, legacyToken, id, false); ok {
		if err == nil && x.unclaimed.claim(key) {
			res.Created = true
		}
		return res, err
	}
	ch := x.sf.DoChan(key, func() (any, error) {
		// Detached from the first caller: if it gives up, the others still
		// get the session, and it is not created twice.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), x.timeout)
		defer cancel()
		res, err := x.exchangeOnce(fctx, key, legacyToken, id, device)
		if err != nil {
			return nil, err
		}
		return &flight{res: res, claimed: x.unclaimed.ref(key)}, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		f := r.Val.(*flight)
		res := *f.res
		// singleflight marks the leader's result shared too: the first
		// caller to take the result is the one told it created the session.
		res.Created = res.Created && x.unclaimed.take(key, f.claimed)
		res.Joined = r.Shared && !res.Created && !res.Reused
		return &res, nil
	case <-ctx.Done():
		// The flight goes on without this caller; a session it creates
		// stays open to be claimed (claims.go).
		return nil, fmt.Errorf("%w: %v", ErrAdminAPI, ctx.Err())
	}
}

// flight is the result of one merged exchange; the first caller to claim
// it is the one that created the session (nil claimed: already taken).
type flight struct {
	res     *ExchangeResult
	claimed *atomic.Bool
}

// put seals rec for secret and keeps it for ttl (at least minRecordTTL),
// in this replica's memory and in the store.
func (x *Exchanger) put(ctx context.Context, key, secret string, rec *record, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	rec.Until = x.now().Add(ttl).Unix()
	pt, _ := json.Marshal(rec)
	x.tier.put(ctx, key, x.bind.seal("x", secret, key, pt), ttl)
}

// exchangeOnce is the merged work for one legacy token in this process.
func (x *Exchanger) exchangeOnce(ctx context.Context, key, secret string, id *verifier.LegacyIdentity, device adminapi.DeviceInfo) (*ExchangeResult, error) {
	// Another flight may have finished between our miss and now.
	if res, err, ok := x.reuse(ctx, key, secret, id, true); ok {
		return res, err
	}
	if l, ok := x.store.(Locker); ok {
		unlock, got, err := lockOrWait(ctx, x.store, l, key, x.timeout+5*time.Second)
		if err != nil {
			x.storeErr(err) // shared store down: go on with per-process dedup
		} else if !got {
			// Another replica exchanged it while we waited.
			if res, err, ok := x.reuse(ctx, key, secret, id, true); ok {
				return res, err
			}
		} else {
			defer unlock(context.WithoutCancel(ctx))
			if res, err, ok := x.reuse(ctx, key, secret, id, true); ok {
				return res, err
			}
		}
	}
	// A slot among the exchanges in flight, held through the Admin API
	// calls, and createSession's turn in the budget, both before the
	// lookup: a user who cannot be exchanged now costs Authgear nothing.
	ctx, release, err := x.gov.enter(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAdminAPI, err)
	}
	defer release()
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
		x.put(ctx, key, secret, &record{Negative: "missing", Who: whoOf(id)}, x.negTTL)
		return nil, ErrUserMissing
	case err != nil:
		return nil, err
	case user.IsDisabled || user.IsDeactivated:
		x.put(ctx, key, secret, &record{Negative: "disabled", Who: whoOf(id)}, x.negTTL)
		return nil, ErrUserDisabled
	case !x.match.Match(id.LoginIDKey, id.LoginID, heldLoginID(user, id.LoginIDKey)):
		// Authgear folded the login ID onto another account's: a legacy
		// identity must only ever become its own account.
		x.put(ctx, key, secret, &record{Negative: "mismatch", Who: whoOf(id)}, x.negTTL)
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
		sess, err = x.admin.CreateSession(ctx, user.NodeID, x.clientID, adminapi.MarkDeviceInfo(device)) // marked for package revoke
		return err
	})
	if err != nil {
		if sessionMayExist(err) {
			// The answer was lost, maybe after Authgear committed: the
			// token's next requests must not each leave one more orphan
			// session, so none tries again before the breaker's cool-down.
			x.put(ctx, key, secret, &record{Negative: negPending, Who: whoOf(id)}, x.breaker.coolDown)
		}
		return nil, err
	}
	x.recordSession(ctx, user, sess) // the session ledger, for package revoke (ledger.go)
	if prev, ok := x.load(ctx, key, secret, true); ok && prev.Negative == negEnded {
		// Spent while the session was being made (EndLegacySession at the
		// legacy logout, on any replica): the tombstone stands, and the new
		// session is not handed out (the ledger lists it).
		x.log.Info("agmigrate: a legacy token was ended while its exchange ran; its new session is not handed out", "user_id", user.ID)
		return nil, ErrSessionEnded
	}
	now := x.now()
	rec := &record{UserID: user.ID, AccessToken: sess.AccessToken, RefreshToken: sess.RefreshToken,
		TokenType: sess.TokenType, ExpiresIn: int64(sess.ExpiresIn / time.Second), IssuedAt: now.Unix(),
		At: now.UnixNano(), Device: refreshDeviceInfo(device), Who: whoOf(id)}
	x.startHead(ctx, rec, id.ExpiresAt)
	claims, verr := x.ag.Verify(ctx, sess.AccessToken)
	if verr != nil && errors.Is(verr, verifier.ErrInvalidToken) {
		// The session exists at Authgear: remember it, so the next request
		// does not make another, and pause exchanges until the setup is
		// looked at (usually the Admin API reached under another host).
		rec.Negative = negUnusable
		x.put(ctx, key, secret, rec, x.ttl(id.ExpiresAt))
		err := fmt.Errorf("%w: %w: %v", ErrAdminAPI, ErrUnusableSession, verr)
		x.latch(err)
		return nil, err
	}
	x.unclaimed.open(key) // before the record can be read
	x.put(ctx, key, secret, rec, x.ttl(id.ExpiresAt))
	if x.onCreated != nil {
		x.onCreated(ctx, id, secret)
	}
	return &ExchangeResult{Tokens: rec.tokens(), UserID: user.ID, Claims: claims, Created: true}, nil
}

// ttl keeps a result no longer than the legacy token and the refresh token
// live, and at least minRecordTTL: a token inside its expiry leeway is
// still accepted for a while, and must not mint a session per request.
// The leeway counts past exp too: the verifier accepts the token up to
// maxLegacyLeeway after it, and a record gone at exp would let it make a
// second session in between.
func (x *Exchanger) ttl(legacyExp time.Time) time.Duration {
	if legacyExp.IsZero() {
		return x.refreshTTL
	}
	return max(min(x.refreshTTL, legacyExp.Sub(x.now())+maxLegacyLeeway), min(minRecordTTL, x.refreshTTL))
}

// call runs an Admin API call through the circuit breaker, retrying
// transient failures with backoff within ctx. idempotent calls are retried
// on any transient failure; others only when no session can have been made.
func (x *Exchanger) call(ctx context.Context, idempotent bool, f func(context.Context) error) error {
	wait := x.backoff
	for attempt := 1; ; attempt++ {
		// createSession is the one mutation here: the first attempt
		// awaits the turn reserved on entering the governor, each retry
		// takes a new one (turn.go); before the breaker, which a throttle
		// must not touch.
		if !idempotent {
			if err := x.gov.mutationTurn(ctx, attempt); err != nil {
				return fmt.Errorf("%w: %w", ErrAdminAPI, err)
			}
		}
		if !x.breaker.allow() {
			return fmt.Errorf("%w: %w", ErrAdminAPI, x.breaker.openErr())
		}
		err := f(ctx)
		if terr := x.gov.rateLimited(ctx, CallAdminMutation, err, 0); terr != nil {
			// Authgear answered, over its limit: paused everywhere, not a
			// failure, and no retry that would make it worse.
			x.breaker.record(true)
			return fmt.Errorf("%w: %w", ErrAdminAPI, terr)
		}
		if isSetupError(err) {
			// Retrying cannot help until someone changes the setup.
			x.latch(err)
			return fmt.Errorf("%w: %w", ErrAdminAPI, err)
		}
		if err == nil || !adminapi.IsTransient(err) {
			x.breaker.record(true)
			if err != nil && !errors.Is(err, adminapi.ErrUserNotFound) && !errors.Is(err, adminapi.ErrInvalidLoginID) {
				return fmt.Errorf("%w: %w", ErrAdminAPI, err)
			}
			return err
		}
		if x.breaker.record(false) {
			x.log.Warn("agmigrate: the Admin API keeps failing; exchanges paused", "error", err, "retry_in", x.breaker.coolDown)
		}
		retryable := idempotent || noSessionCanExist(err)
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

// sessionMayExist: a createSession call reached Authgear (or may have)
// and its answer does not say that nothing was committed.
func sessionMayExist(err error) bool {
	var he *adminapi.HTTPError
	var te *adminapi.TransportError
	return (errors.As(err, &he) || errors.As(err, &te)) && !noSessionCanExist(err)
}

// noSessionCanExist: Authgear itself answered with an error (a GraphQL
// error, or its {"error": …} envelope: the request's transaction was
// rolled back), or the connection was refused (nothing was sent). A bare
// 502/504 from a gateway, a dropped connection or a timeout may hide a
// session Authgear committed, and a retry would make a second one.
func noSessionCanExist(err error) bool {
	var ge *adminapi.GraphQLError
	if errors.As(err, &ge) {
		return true
	}
	var he *adminapi.HTTPError
	if errors.As(err, &he) {
		return he.Name != ""
	}
	var te *adminapi.TransportError
	return errors.As(err, &te) && isDialError(te.Err)
}
