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
// the user disabled). The session is over.
var ErrRefreshRejected = errors.New("agmigrate: refresh token rejected")

// refresher renews an Authgear session at the token endpoint. Concurrent
// refreshes of one refresh token are merged, and the result is kept in the
// store for a short while, sealed under the old refresh token: with
// rotation on, the old token stops working at the first refresh, and the
// requests (or replicas) still holding it must get the same new tokens
// instead of failing or revoking each other.
type refresher struct {
	tokenURL string
	clientID string
	http     *http.Client
	store    Store
	keep     time.Duration
	storeErr func(error)
	now      func() time.Time
	sf       singleflight.Group
}

func (f *refresher) refresh(ctx context.Context, refreshToken string) (*Tokens, error) {
	key := storeKey("r", refreshToken)
	if t, ok := f.fromStore(ctx, key, refreshToken); ok {
		return t, nil
	}
	v, err, _ := f.sf.Do(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if t, ok := f.fromStore(fctx, key, refreshToken); ok {
			return t, nil
		}
		// Across replicas too: with rotation, a second refresh of the same
		// token would fail, and could revoke the session.
		if l, ok := f.store.(Locker); ok {
			unlock, got, err := lockOrWait(fctx, f.store, l, key, 15*time.Second)
			switch {
			case err != nil:
				f.storeErr(err)
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
		t, err := f.call(fctx, refreshToken)
		if err != nil {
			return nil, err
		}
		pt, _ := json.Marshal(&record{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, TokenType: t.TokenType,
			ExpiresIn: int64(t.ExpiresIn / time.Second), IssuedAt: t.IssuedAt.Unix()})
		if err := f.store.Put(fctx, key, seal("r", refreshToken, key, pt), min(f.keep, t.ExpiresIn)); err != nil {
			f.storeErr(err)
		}
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Tokens), nil
}

func (f *refresher) fromStore(ctx context.Context, key, secret string) (*Tokens, bool) {
	raw, err := f.store.Get(ctx, key)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			f.storeErr(err)
		}
		return nil, false
	}
	pt, err := unseal("r", secret, key, raw)
	var rec record
	if err != nil || json.Unmarshal(pt, &rec) != nil {
		return nil, false
	}
	return rec.tokens(), true
}

// call makes the refresh_token grant request.
func (f *refresher) call(ctx context.Context, refreshToken string) (*Tokens, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {f.clientID}, "refresh_token": {refreshToken}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
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
	case resp.StatusCode == http.StatusBadRequest && (out.Error == "invalid_grant" || out.Error == "invalid_request"):
		return nil, fmt.Errorf("%w (%s)", ErrRefreshRejected, out.Error)
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
