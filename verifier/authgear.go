package verifier

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// AuthgearConfig configures an Authgear access-token verifier.
type AuthgearConfig struct {
	// Endpoint is the project's public origin, e.g.
	// "https://myapp.authgear.cloud". Required. Tokens must carry it as iss
	// and in aud; discovery there gives the JWKS URL.
	Endpoint string

	// ClientIDs, when set, is the list of client IDs whose tokens are
	// accepted. Default: any client of the project.
	ClientIDs []string

	// Leeway tolerates clock skew on exp, nbf and iat. Default one minute.
	Leeway time.Duration

	// OpaqueTokens accepts opaque access tokens (from a client without
	// "Issue JWT as access token") by asking Authgear's userinfo endpoint,
	// one HTTP call per token per OpaqueCacheTTL. JWT access tokens are
	// verified locally and are the better choice. Default off.
	OpaqueTokens bool
	// OpaqueCacheTTL is how long an opaque token's userinfo answer is
	// trusted. Default 30 seconds: a revoked session stays usable that long.
	OpaqueCacheTTL time.Duration

	// CacheSize bounds the verified-token cache. Default DefaultCacheSize;
	// negative turns the cache off.
	CacheSize int
	// MaxTokenSize refuses longer tokens unread. Default DefaultMaxTokenSize.
	MaxTokenSize int

	// HTTPClient fetches discovery, the JWKS and userinfo. Default: a client
	// with a 10 s timeout.
	HTTPClient *http.Client
	// RefetchCooldown is the least time between two JWKS fetches caused by
	// unknown kids. Default one minute.
	RefetchCooldown time.Duration
	// RefreshInterval is how often the JWKS is fetched anyway. Default 15
	// minutes.
	RefreshInterval time.Duration

	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// AuthgearClaims is a verified Authgear access token. Values returned by
// Verify may be shared between calls; treat them as read-only.
type AuthgearClaims struct {
	Subject           string // the user's uuid
	ClientID          string
	Scopes            []string
	ExpiresAt         time.Time
	IssuedAt          time.Time
	AuthTime          time.Time
	TokenID           string // jti
	IsAnonymous       bool
	IsVerified        bool
	CanReauthenticate bool
	Roles             []string
	// Opaque is true for an opaque token checked at userinfo; it then has
	// no ClientID, Scopes, IssuedAt or TokenID, and ExpiresAt is when the
	// userinfo answer stops being trusted.
	Opaque bool

	raw []byte
}

// Raw decodes every claim, for anything the typed fields lack (claims a
// hook added, standard attributes).
func (c *AuthgearClaims) Raw() (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(c.raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// HasScope reports whether the token was granted scope s.
func (c *AuthgearClaims) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }

const claimPrefix = "https://authgear.com/claims/user/"

type authgearPayload struct {
	registered
	ClientID          string      `json:"client_id"`
	Scope             string      `json:"scope"`
	AuthTime          numericDate `json:"auth_time"`
	IsAnonymous       bool        `json:"https://authgear.com/claims/user/is_anonymous"`
	IsVerified        bool        `json:"https://authgear.com/claims/user/is_verified"`
	CanReauthenticate bool        `json:"https://authgear.com/claims/user/can_reauthenticate"`
	Roles             []string    `json:"https://authgear.com/claims/user/roles"`
}

// Authgear verifies Authgear access tokens. Create it with NewAuthgear;
// it is safe for concurrent use. Close stops its background key refresh.
type Authgear struct {
	issuer      string
	userinfoURL string
	clientIDs   []string
	times       timeChecks
	maxSize     int
	keys        *remoteKeys
	cache       *tokenCache[*AuthgearClaims]
	opaque      bool
	opaqueTTL   time.Duration
	http        *http.Client
	now         func() time.Time
}

// NewAuthgear reads the endpoint's OIDC discovery document and fetches its
// JWKS once. Bad configuration gives an error wrapping ErrConfig; an
// endpoint that cannot be reached, ErrUnavailable.
func NewAuthgear(ctx context.Context, cfg AuthgearConfig) (*Authgear, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, configError("Endpoint %q must be the project's origin, such as https://myapp.authgear.cloud", cfg.Endpoint)
	}
	issuer := u.Scheme + "://" + u.Host
	if cfg.Leeway < 0 || cfg.Leeway > 10*time.Minute {
		return nil, configError("Leeway %v outside [0, 10m]", cfg.Leeway)
	}
	a := &Authgear{
		issuer: issuer, clientIDs: cfg.ClientIDs, opaque: cfg.OpaqueTokens,
		times:   timeChecks{leeway: orDefault(cfg.Leeway, time.Minute), requireExp: true},
		maxSize: cfg.MaxTokenSize, http: cfg.HTTPClient, now: cfg.Now, opaqueTTL: orDefault(cfg.OpaqueCacheTTL, 30*time.Second),
	}
	if a.maxSize <= 0 {
		a.maxSize = DefaultMaxTokenSize
	}
	a.http = defaultHTTP(a.http)
	if a.now == nil {
		a.now = time.Now
	}
	a.cache = newTokenCache[*AuthgearClaims](cfg.CacheSize)

	disc, err := discover(ctx, a.http, issuer)
	if err != nil {
		return nil, err
	}
	a.userinfoURL = disc.Userinfo
	a.keys, err = newRemoteKeys(ctx, disc.JWKSURI, remoteOptions{
		client: a.http, allowed: []string{"RS256"},
		cooldown:        orDefault(cfg.RefetchCooldown, time.Minute),
		timeout:         10 * time.Second,
		refreshInterval: orDefault(cfg.RefreshInterval, 15*time.Minute),
		now:             a.now,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Close stops the background JWKS refresh.
func (a *Authgear) Close() { a.keys.close() }

// Issuer returns the issuer tokens must carry.
func (a *Authgear) Issuer() string { return a.issuer }

// Verify checks an access token and returns its claims. A refused token
// gives an error wrapping ErrInvalidToken and one specific sentinel; a
// failure to check (JWKS or userinfo unreachable) wraps ErrUnavailable.
func (a *Authgear) Verify(ctx context.Context, token string) (*AuthgearClaims, error) {
	now := a.now()
	if c, ok := a.cache.get(token, now); ok {
		return c, nil
	}
	if a.opaque && strings.Count(token, ".") != 2 {
		return a.verifyOpaque(ctx, token, now)
	}
	c, err := a.verifyJWT(ctx, token, now)
	if err != nil {
		return nil, err
	}
	a.cache.put(token, c, c.ExpiresAt.Add(a.times.leeway), now)
	return c, nil
}

func (a *Authgear) verifyJWT(ctx context.Context, token string, now time.Time) (*AuthgearClaims, error) {
	jws, err := parseCompact(token, a.maxSize)
	if err != nil {
		return nil, err
	}
	if jws.hdr.Kid == "" {
		return nil, invalid(ErrUnknownKey, "no kid header")
	}
	if t := jws.hdr.Typ; t != "" && !strings.EqualFold(t, "at+jwt") && !strings.EqualFold(t, "application/at+jwt") {
		return nil, invalid(ErrTokenType, "typ %q is not an access token", t)
	}
	raw, err := verifiedPayload(ctx, jws, a.keys)
	if err != nil {
		return nil, err
	}
	var p authgearPayload
	if err := scanAuthgearClaims(raw, &p); err != nil {
		return nil, invalid(ErrMalformed, "claims: %v", err)
	}
	if p.Issuer != a.issuer {
		return nil, invalid(ErrIssuer, "iss %q, want %q", p.Issuer, a.issuer)
	}
	if !p.Audience.contains(a.issuer) {
		return nil, invalid(ErrAudience, "aud does not contain %q", a.issuer)
	}
	if err := a.times.check(&p.registered, now); err != nil {
		return nil, err
	}
	if p.Subject == "" {
		return nil, invalid(ErrMissingClaim, "sub")
	}
	if len(a.clientIDs) > 0 && !slices.Contains(a.clientIDs, p.ClientID) {
		return nil, invalid(ErrClientID, "client_id %q", p.ClientID)
	}
	return &AuthgearClaims{
		Subject: p.Subject, ClientID: p.ClientID, Scopes: splitScope(p.Scope),
		ExpiresAt: p.Expiry.t, IssuedAt: p.IssuedAt.t, AuthTime: p.AuthTime.t, TokenID: p.TokenID,
		IsAnonymous: p.IsAnonymous, IsVerified: p.IsVerified, CanReauthenticate: p.CanReauthenticate,
		Roles: p.Roles, raw: raw,
	}, nil
}

// verifyOpaque asks userinfo about an opaque token and caches the answer
// for OpaqueCacheTTL.
func (a *Authgear) verifyOpaque(ctx context.Context, token string, now time.Time) (*AuthgearClaims, error) {
	if len(token) > a.maxSize {
		return nil, invalid(ErrTooLarge, "%d bytes", len(token))
	}
	if a.userinfoURL == "" {
		return nil, fmt.Errorf("%w: discovery named no userinfo endpoint", ErrUnavailable)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.userinfoURL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %v", ErrUnavailable, stripURLError(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, invalid(ErrInactive, "userinfo refused the token")
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: userinfo answered %d", ErrUnavailable, resp.StatusCode)
	}
	var p authgearPayload
	if err := json.Unmarshal(body, &p); err != nil || p.Subject == "" {
		return nil, fmt.Errorf("%w: userinfo answered no subject", ErrUnavailable)
	}
	c := &AuthgearClaims{Subject: p.Subject, IsAnonymous: p.IsAnonymous, IsVerified: p.IsVerified,
		CanReauthenticate: p.CanReauthenticate, Roles: p.Roles, Opaque: true, ExpiresAt: now.Add(a.opaqueTTL), raw: body}
	a.cache.put(token, c, c.ExpiresAt, now)
	return c, nil
}

type discovery struct {
	Issuer   string `json:"issuer"`
	JWKSURI  string `json:"jwks_uri"`
	Userinfo string `json:"userinfo_endpoint"`
}

// discover reads /.well-known/openid-configuration and checks that it
// speaks for issuer.
func discover(ctx context.Context, hc *http.Client, issuer string) (*discovery, error) {
	u := issuer + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, configError("discovery URL: %v", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery %s: %v", ErrUnavailable, u, stripURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: discovery %s answered %d", ErrUnavailable, u, resp.StatusCode)
	}
	var d discovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return nil, fmt.Errorf("%w: discovery %s: %v", ErrUnavailable, u, err)
	}
	if d.Issuer != issuer {
		return nil, configError("discovery at %s names issuer %q; the endpoint must be the issuer itself", u, d.Issuer)
	}
	if d.JWKSURI == "" {
		return nil, fmt.Errorf("%w: discovery %s has no jwks_uri", ErrUnavailable, u)
	}
	return &d, nil
}

func stripURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
