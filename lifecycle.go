package agmigrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/verifier"
)

// A legacy token's life, as the stored exchange records it:
//
//	exchanged ─▶ reused (the same session, revalidated when old, following
//	             its refresh token when rotated) ─▶ spent: Authgear ended the
//	             session (invalid_grant) or the app ended it ─▶ tombstone
//
// A tombstone stays as long as the legacy token could be presented, so the
// token never mints a second session.

// ErrSessionEnded: the Authgear session this legacy token was exchanged for
// has ended (the user was disabled, the session revoked, the refresh
// refused, or the app called EndLegacySession). The legacy token is spent:
// it will not be exchanged again; the user signs in again.
var ErrSessionEnded = errors.New("agmigrate: the session of this legacy token has ended")

// Kinds of negative records.
const (
	negMissing  = "missing"
	negDisabled = "disabled"
	negEnded    = "ended"    // a tombstone
	negUnusable = "unusable" // a session was made whose access token does not verify
	negPending  = "pending"  // createSession's answer was lost: a session may exist
)

// errSessionPending: the last createSession for this token lost its answer
// (a gateway's 502, a dropped connection, a timeout), so none is tried
// again before BreakerCoolDown. Matches ErrAdminAPI.
var errSessionPending = errors.New("agmigrate: the last createSession for this legacy token lost its answer; not tried again yet")

// minRecordTTL keeps a result remembered even when the legacy token is
// already inside its expiry leeway (its remaining lifetime is zero or less
// but the verifier still accepts it).
const minRecordTTL = 10 * time.Minute

// maxLegacyLeeway is the most a legacy verifier may accept a token past
// its exp (verifier.JWTConfig.Leeway is at most ten minutes).
const maxLegacyLeeway = 10 * time.Minute

// spentNoExpiry keeps the tombstone of a token whose expiry is unknown (a
// legacy token without exp, or one ended by EndLegacySession), when that
// is longer than SessionTTL: a spent token must not come back to life
// because its record expired.
const spentNoExpiry = 400 * 24 * time.Hour

// load reads and opens the record under key. shared bypasses the local
// memory.
func (x *Exchanger) load(ctx context.Context, key, secret string, shared bool) (*record, bool) {
	var raw []byte
	var err error
	if shared {
		raw, err = x.tier.getShared(ctx, key)
	} else {
		raw, _, err = x.tier.get(ctx, key)
	}
	if err != nil {
		return nil, false
	}
	pt, err := x.bind.unseal("x", secret, key, raw)
	if err != nil {
		x.tier.storeErr(err)
		return nil, false
	}
	var rec record
	if err := json.Unmarshal(pt, &rec); err != nil {
		x.tier.storeErr(err)
		return nil, false
	}
	if rec.Until != 0 && !x.now().Before(time.Unix(rec.Until, 0)) {
		return nil, false
	}
	return &rec, true
}

// reuse answers from the stored record. ok is false on a miss. inFlight
// says the caller holds the token's flight, where an unusable session may
// be tried again.
func (x *Exchanger) reuse(ctx context.Context, key, secret string, id *verifier.LegacyIdentity, inFlight bool) (*ExchangeResult, error, bool) {
	rec, ok := x.load(ctx, key, secret, false)
	if !ok {
		return nil, nil, false
	}
	if rec.Who != "" && rec.Who != whoOf(id) {
		// Made for another identity under this token: a session ID the
		// legacy system gave out again. Not this user's to reuse.
		return nil, nil, false
	}
	switch rec.Negative {
	case negMissing:
		return nil, ErrUserMissing, true
	case negDisabled:
		return nil, ErrUserDisabled, true
	case "mismatch":
		return nil, ErrLoginIDMismatch, true
	case negEnded:
		return nil, ErrSessionEnded, true
	case negPending:
		return nil, fmt.Errorf("%w: %w", ErrAdminAPI, errSessionPending), true
	case negUnusable:
		if err := x.breaker.openErr(); err != nil {
			return nil, fmt.Errorf("%w: %w: %w", ErrAdminAPI, ErrUnusableSession, err), true
		}
		if !inFlight {
			return nil, nil, false
		}
		return x.recoverUnusable(ctx, key, secret, rec, id)
	}
	x.follow(ctx, key, secret, rec, id.ExpiresAt)
	for attempt := 0; x.rf != nil; attempt++ {
		now := x.now()
		expired := !now.Before(rec.issuedAt().Add(rec.expiresIn()))
		old := x.revalidate > 0 && now.Sub(rec.issuedAt()) >= x.revalidate
		if !expired && !old {
			break
		}
		// A merged refresh: it renews an expired access token, and tells
		// whether Authgear still holds the session.
		t, err := x.rf.refresh(ctx, rec.RefreshToken, rec.Device)
		if err == nil {
			rec.setTokens(t)
			x.put(ctx, key, secret, rec, x.ttl(id.ExpiresAt))
			break
		}
		if errors.Is(err, ErrSessionEnded) {
			if newer := x.newer(ctx, key, secret, rec); attempt == 0 && newer != nil {
				rec = newer // renewed elsewhere: go on with that
				continue
			}
			x.tombstone(ctx, key, secret, id.ExpiresAt)
			x.log.Info("agmigrate: Authgear ended the session of a legacy token; it will not be exchanged again", "user_id", rec.UserID)
			return nil, ErrSessionEnded, true
		}
		if expired {
			return nil, fmt.Errorf("%w: %w", ErrAdminAPI, err), true
		}
		break // a revalidation that failed for a passing reason: the access token still serves
	}
	res := &ExchangeResult{Tokens: rec.tokens(), UserID: rec.UserID, Reused: true}
	// The token verified when it was made; verify again (usually a cache
	// hit) for the claims, and in case the keys have changed since.
	if c, err := x.ag.Verify(ctx, res.Tokens.AccessToken); err == nil {
		res.Claims = c
	}
	return res, nil, true
}

// follow adopts the tokens a refresh on the cookie path left in the
// session's head, when they are newer than the stored ones.
func (x *Exchanger) follow(ctx context.Context, key, secret string, rec *record, legacyExp time.Time) {
	if h := x.head(ctx, rec, false); h != nil && h.at() > rec.at() {
		rec.setFrom(h)
		x.put(ctx, key, secret, rec, x.ttl(legacyExp))
	}
}

func (x *Exchanger) head(ctx context.Context, rec *record, shared bool) *record {
	gid := grantID(rec.RefreshToken)
	if rec.HeadKey == "" || gid == "" {
		return nil
	}
	hk := headKey(gid)
	var v []byte
	var err error
	if shared {
		v, err = x.tier.getShared(ctx, hk)
	} else {
		v, _, err = x.tier.get(ctx, hk)
	}
	if err != nil {
		return nil
	}
	seal := headSeal(v)
	if seal == "" || seal == rec.HeadSeen {
		return nil // no tokens yet, or the ones already adopted
	}
	h, ok := openHead(rec.HeadKey, hk, v)
	if !ok || h.RefreshToken == rec.RefreshToken {
		return nil
	}
	h.HeadSeen = seal
	return h
}

// newer looks in the shared store, past the local memory, for tokens of
// this session newer than rec's: another replica or the cookie path may
// have renewed it, and a rotated-away refresh token is not an ended
// session.
func (x *Exchanger) newer(ctx context.Context, key, secret string, rec *record) *record {
	if fresh, ok := x.load(ctx, key, secret, true); ok && fresh.Negative == "" && fresh.RefreshToken != rec.RefreshToken {
		return fresh
	}
	if h := x.head(ctx, rec, true); h != nil {
		n := *rec
		n.setFrom(h)
		return &n
	}
	return nil
}

// tombstone marks the legacy token spent, for as long as it can be
// presented: until its exp and the leeway after it, whatever SessionTTL
// says (SessionTTL bounds how long a session is kept, not how long a
// token stays spent).
func (x *Exchanger) tombstone(ctx context.Context, key, secret string, legacyExp time.Time) {
	ttl := max(x.refreshTTL, spentNoExpiry)
	if !legacyExp.IsZero() {
		ttl = max(legacyExp.Sub(x.now())+maxLegacyLeeway, minRecordTTL)
	}
	x.put(ctx, key, secret, &record{Negative: negEnded}, ttl)
}

// recoverUnusable tries once more a session whose access token did not
// verify when it was made: a refresh at the public token endpoint often
// gives one that does (the first came through another host). It runs in
// the token's flight, after the setup back-off.
func (x *Exchanger) recoverUnusable(ctx context.Context, key, secret string, rec *record, id *verifier.LegacyIdentity) (*ExchangeResult, error, bool) {
	if x.rf == nil {
		return nil, fmt.Errorf("%w: %w", ErrAdminAPI, ErrUnusableSession), true
	}
	t, err := x.rf.refresh(ctx, rec.RefreshToken, rec.Device)
	switch {
	case errors.Is(err, ErrRefreshRejected):
		return nil, nil, false // gone, and nobody ever had it: a new exchange
	case err != nil:
		return nil, fmt.Errorf("%w: %w: %w", ErrAdminAPI, ErrUnusableSession, err), true
	}
	rec.setTokens(t)
	claims, verr := x.ag.Verify(ctx, t.AccessToken)
	if verr != nil {
		x.put(ctx, key, secret, rec, x.ttl(id.ExpiresAt))
		err := fmt.Errorf("%w: %w: %v", ErrAdminAPI, ErrUnusableSession, verr)
		x.latch(err)
		return nil, err, true
	}
	rec.Negative = ""
	x.unclaimed.open(key)
	x.put(ctx, key, secret, rec, x.ttl(id.ExpiresAt))
	if x.onCreated != nil {
		x.onCreated(ctx, id, secret)
	}
	return &ExchangeResult{Tokens: rec.tokens(), UserID: rec.UserID, Claims: claims, Created: true}, nil, true
}

// latch opens the circuit for a setup problem, logging it once per period.
func (x *Exchanger) latch(err error) {
	if x.breaker.latch(err) {
		x.log.Error("agmigrate: Authgear setup problem; exchanges paused; run `agmigrate doctor`",
			"error", err, "retry_in", x.breaker.coolDown)
	}
}

// End marks legacyToken spent: whatever it was exchanged for, it leads to
// nothing from now on, in every replica (after their local memory's
// freshness window), and will never be exchanged again.
func (x *Exchanger) End(ctx context.Context, legacyToken string) {
	x.tombstone(ctx, x.bind.key("x", legacyToken), legacyToken, time.Time{})
}

// EndLegacySession ends the exchange of a legacy token, for the app's
// legacy logout: the token is spent, and presenting it again gives 401
// (or legacy service with ServeEndedAsLegacy). The Authgear session it
// was exchanged for is not revoked here; revoke it with the Admin API if
// the user should be signed out of Authgear too.
func (m *Middleware) EndLegacySession(ctx context.Context, legacyToken string) {
	if legacyToken == "" {
		return
	}
	m.x.End(ctx, legacyToken)
}

// isSetupError: a failure that repeats until someone changes the setup.
func isSetupError(err error) bool {
	return errors.Is(err, adminapi.ErrCreateSessionDisabled) || errors.Is(err, adminapi.ErrForbidden)
}

// record helpers.

func (rec *record) issuedAt() time.Time      { return time.Unix(rec.IssuedAt, 0) }
func (rec *record) expiresIn() time.Duration { return time.Duration(rec.ExpiresIn) * time.Second }

// at orders token sets of one session: when they were obtained.
func (rec *record) at() int64 {
	if rec.At != 0 {
		return rec.At
	}
	return rec.IssuedAt * int64(time.Second)
}

func (rec *record) setTokens(t *Tokens) {
	rec.AccessToken, rec.RefreshToken, rec.TokenType = t.AccessToken, t.RefreshToken, t.TokenType
	rec.ExpiresIn, rec.IssuedAt, rec.At = int64(t.ExpiresIn/time.Second), t.IssuedAt.Unix(), t.IssuedAt.UnixNano()
}

func (rec *record) setFrom(h *record) {
	rec.AccessToken, rec.RefreshToken, rec.TokenType = h.AccessToken, h.RefreshToken, h.TokenType
	rec.ExpiresIn, rec.IssuedAt, rec.At, rec.HeadSeen = h.ExpiresIn, h.IssuedAt, h.At, h.HeadSeen
}
