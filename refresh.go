package agmigrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
)

// ErrRefreshRejected: Authgear refused the refresh token (expired, revoked,
// the user disabled), or the token cannot be an Authgear refresh token at
// all. The session is over.
var ErrRefreshRejected = errors.New("agmigrate: refresh token rejected")

// refresher renews an Authgear session at the token endpoint. Concurrent
// refreshes of one refresh token are merged, and the result is kept in the
// store for a short while, sealed under the old refresh token: with
// rotation on, the old token stops working at the first refresh, and the
// requests (or replicas) still holding it must get the same new tokens
// instead of failing or revoking each other. A rotated session's new
// tokens are also left in its head (head.go), for the stored exchange to
// follow. Refresh tokens Authgear refused are remembered for a while in
// this process, so a junk cookie costs one call, not one per request.
type refresher struct {
	tokenURL  string
	clientID  string
	http      *http.Client
	store     Store // the shared store, for its lock
	tier      *tier
	keep      time.Duration
	headTTL   time.Duration
	rejects   *localMemory
	rejectTTL time.Duration
	now       func() time.Time
	sf        singleflight.Group
	bind      binding   // ties the kept results to the project and client (seal.go)
	gov       *Governor // the token endpoint's budget (governor.go)
}

// uaKey carries the browser's User-Agent to the refreshes a request makes:
// Authgear shows the last refresh's User-Agent in the user's session list.
var uaKey = &contextKey{"user-agent"}

func withUserAgent(ctx context.Context, ua string) context.Context {
	if ua == "" {
		return ctx
	}
	return context.WithValue(ctx, uaKey, ua)
}

func userAgentFrom(ctx context.Context) string {
	ua, _ := ctx.Value(uaKey).(string)
	return ua
}

// refresh renews the session of refreshToken. device is the x_device_info
// to send ("" for none); the User-Agent comes from ctx (withUserAgent).
func (f *refresher) refresh(ctx context.Context, refreshToken, device string) (*Tokens, error) {
	if !looksLikeRefreshToken(refreshToken) {
		return nil, fmt.Errorf("%w (not an Authgear refresh token)", ErrRefreshRejected)
	}
	key := f.bind.key("r", refreshToken)
	if _, ok := f.rejects.get(key, f.now()); ok {
		return nil, fmt.Errorf("%w: %w (remembered)", ErrRefreshRejected, ErrSessionEnded)
	}
	if t, ok := f.fromStore(ctx, key, refreshToken); ok {
		return t, nil
	}
	v, err, _ := f.sf.Do(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshFlightTimeout)
		defer cancel()
		if t, ok := f.fromStore(fctx, key, refreshToken); ok {
			return t, nil
		}
		// Across replicas too: with rotation, a second refresh of the same
		// token would fail, and could revoke the session.
		if l, ok := f.store.(Locker); ok {
			unlock, got, err := lockOrWait(fctx, f.store, l, key, refreshLease)
			switch {
			case err != nil:
				f.tier.storeErr(err)
			case !got:
				if t, ok := f.fromStore(fctx, key, refreshToken); ok {
					return t, nil
				}
			default:
				defer unlock(context.WithoutCancel(fctx))
				if t, ok := f.fromStore(fctx, key, refreshToken); ok {
					return t, nil
				}
			}
		}
		t, err := f.call(fctx, refreshToken, device)
		if device != "" && errors.Is(err, errBadRequest) {
			// The device info was refused: a refresh without it is still
			// worth more than none.
			t, err = f.call(fctx, refreshToken, "")
		}
		if errors.Is(err, ErrRefreshRejected) {
			now := f.now()
			f.rejects.put(key, localEntry{v: []byte{1}, exp: now.Add(f.rejectTTL), seen: now})
		}
		if err != nil {
			return nil, err
		}
		keep := min(f.keep, t.ExpiresIn)
		rec := &record{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType,
			ExpiresIn: int64(t.ExpiresIn / time.Second), IssuedAt: t.IssuedAt.Unix(), At: t.IssuedAt.UnixNano(),
			Until: f.now().Add(keep).Unix()}
		pt, _ := json.Marshal(rec)
		f.tier.put(fctx, key, f.bind.seal("r", refreshToken, key, pt), keep)
		if t.RefreshToken != refreshToken {
			f.moveHead(fctx, refreshToken, rec)
		}
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Tokens), nil
}

// moveHead leaves a rotated session's new tokens in its head, when the
// session came from an exchange (only those have a head).
func (f *refresher) moveHead(ctx context.Context, oldToken string, rec *record) {
	gid := grantID(oldToken)
	if gid == "" {
		return
	}
	hk := headKey(gid)
	old, _, err := f.tier.get(ctx, hk)
	if err != nil {
		return
	}
	if v := sealHead(old, hk, rec); v != nil {
		f.tier.put(ctx, hk, v, f.headTTL)
	}
}

func (f *refresher) fromStore(ctx context.Context, key, secret string) (*Tokens, bool) {
	raw, _, err := f.tier.get(ctx, key)
	if err != nil {
		return nil, false
	}
	pt, err := f.bind.unseal("r", secret, key, raw)
	var rec record
	if err != nil || json.Unmarshal(pt, &rec) != nil {
		return nil, false
	}
	// Kept for the requests racing one refresh, not longer: a local copy
	// outliving it (the shared store down) must not let an old refresh
	// token keep working.
	if rec.Until != 0 && !f.now().Before(time.Unix(rec.Until, 0)) {
		return nil, false
	}
	return rec.tokens(), true
}

// errBadRequest marks a 400 invalid_request answer.
var errBadRequest = errors.New("agmigrate: refresh: invalid_request")

// A refresh flight waits for its lock and its turn within
// refreshFlightTimeout; the token request then has refreshCallTimeout of
// its own (the HTTP client's timeout may be shorter). The cross-replica
// lock's lease outlives both, so no other flight can take the lock while
// its holder may still be refreshing.
const (
	refreshFlightTimeout = 10 * time.Second
	refreshCallTimeout   = 15 * time.Second
	refreshLease         = refreshFlightTimeout + refreshCallTimeout + 5*time.Second
)

// call makes the refresh_token grant request, with the browser's
// User-Agent and, when given, the session's device info.
func (f *refresher) call(ctx context.Context, refreshToken, device string) (*Tokens, error) {
	if err := f.gov.Wait(ctx, CallToken, priorityOf(ctx)); err != nil {
		return nil, err
	}
	// The turn is taken: the request gets its own time from here. A wait
	// that used up the flight's deadline must not cut a refresh Authgear
	// may already have made: its answer would be lost, the next request
	// would refresh again (spending the budget twice), and with rotation
	// the second refresh would find the old token spent.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshCallTimeout)
	defer cancel()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {f.clientID}, "refresh_token": {refreshToken}}
	if device != "" {
		form.Set("x_device_info", device)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if ua := userAgentFrom(ctx); ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	forwardClientIP(req.Header, clientIPFrom(ctx)) // each user counts against their own IP (forwardip.go)
	resp, err := f.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("agmigrate: refresh: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in"`
		Error        string `json:"error"`
	}
	_ = json.Unmarshal(body, &out)
	switch {
	case resp.StatusCode == http.StatusOK && out.AccessToken != "":
	case resp.StatusCode == http.StatusTooManyRequests:
		// x_rate_limited: the session is fine; the refresh waits for a
		// later request, and the token budget pauses everywhere.
		return nil, f.gov.rateLimited(ctx, CallToken, errRateLimited, parseRetryAfter(resp.Header.Get("Retry-After"), f.now()))
	case resp.StatusCode == http.StatusBadRequest && out.Error == "invalid_grant":
		// Authgear ended the session: expired, revoked, user disabled.
		return nil, fmt.Errorf("%w: %w", ErrRefreshRejected, ErrSessionEnded)
	case resp.StatusCode == http.StatusBadRequest && out.Error == "invalid_request" && device != "":
		return nil, errBadRequest
	case resp.StatusCode == http.StatusBadRequest && out.Error == "invalid_request":
		// A token of another client: never usable here.
		return nil, fmt.Errorf("%w (invalid_request)", ErrRefreshRejected)
	default:
		return nil, fmt.Errorf("agmigrate: refresh: HTTP %d %s", resp.StatusCode, out.Error)
	}
	t := &Tokens{AccessToken: out.AccessToken, RefreshToken: out.RefreshToken, TokenType: out.TokenType,
		ExpiresIn: time.Duration(out.ExpiresIn) * time.Second, IssuedAt: f.now()}
	if t.RefreshToken == "" {
		t.RefreshToken = refreshToken // no rotation: keep using the old one
	}
	return t, nil
}
