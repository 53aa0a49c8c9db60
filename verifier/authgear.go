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
	// accepted (the client_id claim of a JWT access token). Default: any
	// client of the project. The middleware needs its own ClientID here.
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
	// UnsafeOpaqueTokensAnyClient allows OpaqueTokens together with
	// ClientIDs. Authgear's userinfo answer does not say which client a
	// token was issued to, so the allow-list cannot be enforced on opaque
	// tokens: with this set, an opaque token of any client of the project
	// passes (JWTs are still checked). Without it, NewAuthgear refuses
	// OpaqueTokens with ClientIDs.
	UnsafeOpaqueTokensAnyClient bool

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

	// InsecureAllowHTTP accepts an http:// Endpoint (and discovered URLs)
	// on a host that is not loopback. Default: refused with ErrInsecureURL;
	// loopback hosts (127.0.0.0/8, ::1, localhost) are always allowed.
	InsecureAllowHTTP bool

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

	raw      []byte
	scopeBuf [4]string // Scopes' storage when there are few, saving an allocation
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
	opaqueAny   bool // opaque tokens of any client, despite clientIDs
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
	if err := checkURL("Endpoint", cfg.Endpoint, cfg.InsecureAllowHTTP); err != nil {
		return nil, err
	}
	issuer := u.Scheme + "://" + u.Host
	if cfg.Leeway < 0 || cfg.Leeway > 10*time.Minute {
		return nil, configError("Leeway %v outside [0, 10m]", cfg.Leeway)
	}
	if cfg.OpaqueTokens && len(cfg.ClientIDs) > 0 && !cfg.UnsafeOpaqueTokensAnyClient {
		return nil, configError("OpaqueTokens with ClientIDs: Authgear's userinfo does not say which client an opaque token belongs to, so the allow-list cannot hold for them; issue JWT access tokens, or set UnsafeOpaqueTokensAnyClient")
	}
	a := &Authgear{
		issuer: issuer, clientIDs: slices.Clone(cfg.ClientIDs), opaque: cfg.OpaqueTokens,
		opaqueAny: cfg.OpaqueTokens && cfg.UnsafeOpaqueTokensAnyClient,
		times:     timeChecks{leeway: orDefault(cfg.Leeway, time.Minute), requireExp: true},
		maxSize:   cfg.MaxTokenSize, http: cfg.HTTPClient, now: cfg.Now, opaqueTTL: orDefault(cfg.OpaqueCacheTTL, 30*time.Second),
	}
	if a.maxSize <= 0 {
		a.maxSize = DefaultMaxTokenSize
	}
	a.http = defaultHTTP(a.http)
	if a.now == nil {
		a.now = time.Now
	}
	a.cache = newJWSCache[*AuthgearClaims](cfg.CacheSize)

	disc, err := discover(ctx, a.http, issuer)
	if err != nil {
		return nil, err
	}
	if err := checkURL("discovered jwks_uri", disc.JWKSURI, cfg.InsecureAllowHTTP); err != nil {
		return nil, err
	}
	if disc.Userinfo != "" {
		if err := checkURL("discovered userinfo_endpoint", disc.Userinfo, cfg.InsecureAllowHTTP); err != nil {
			return nil, err
		}
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

// ClientIDs returns a copy of the client allow-list; empty means tokens of
// every client of the project are accepted.
func (a *Authgear) ClientIDs() []string { return slices.Clone(a.clientIDs) }

// AcceptsClient reports whether an access token issued to client id passes
// the client check: true when there is no allow-list or id is on it.
func (a *Authgear) AcceptsClient(id string) bool {
	return len(a.clientIDs) == 0 || slices.Contains(a.clientIDs, id)
}

// RestrictedTo reports whether every token Verify accepts, JWT or opaque,
// was issued to one of ids: there is an allow-list, all of it is among
// ids, and opaque tokens are not accepted from any client
// (UnsafeOpaqueTokensAnyClient). The middleware uses it to check that the
// verifier speaks only for its own client.
func (a *Authgear) RestrictedTo(ids ...string) bool {
	if len(a.clientIDs) == 0 || a.opaqueAny {
		return false
	}
	for _, c := range a.clientIDs {
		if !slices.Contains(ids, c) {
			return false
		}
	}
	return true
}

// Verify checks an access token and returns its claims. A refused token
// gives an error wrapping ErrInvalidToken and one specific sentinel; a
// failure to check (JWKS or userinfo unreachable) wraps ErrUnavailable.
func (a *Authgear) Verify(ctx context.Context, token string) (*AuthgearClaims, error) {
	now := a.now()
	cached, at, ok := a.cache.get(token, now, a.keys)
	if ok {
		return cached, nil
	}
	if a.opaque && strings.Count(token, ".") != 2 {
		return a.verifyOpaque(ctx, token, at, now)
	}
	c, k, err := a.verifyJWT(ctx, token, now)
	if err != nil {
		return nil, err
	}
	a.cache.put(at, token, c, k, c.ExpiresAt.Add(a.times.leeway), now)
	return c, nil
}

func (a *Authgear) verifyJWT(ctx context.Context, token string, now time.Time) (*AuthgearClaims, *key, error) {
	var sigBuf [maxStackSig]byte
	jws, err := parseCompact(token, a.maxSize, sigBuf[:0])
	if err != nil {
		return nil, nil, err
	}
	if jws.hdr.Kid == "" {
		return nil, nil, invalid(ErrUnknownKey, "no kid header")
	}
	if t := jws.hdr.Typ; t != "" && !strings.EqualFold(t, "at+jwt") && !strings.EqualFold(t, "application/at+jwt") {
		return nil, nil, invalid(ErrTokenType, "typ %q is not an access token", t)
	}
	raw, k, err := verifiedPayload(ctx, &jws, a.keys, now)
	if err != nil {
		return nil, nil, err
	}
	var p authgearPayload
	if err := scanAuthgearClaims(raw, &p); err != nil {
		return nil, nil, invalid(ErrMalformed, "claims: %v", err)
	}
	if p.Issuer != a.issuer {
		return nil, nil, invalid(ErrIssuer, "iss %q, want %q", p.Issuer, a.issuer)
	}
	if !p.Audience.contains(a.issuer) {
		return nil, nil, invalid(ErrAudience, "aud does not contain %q", a.issuer)
	}
	if err := a.times.check(&p.registered, now); err != nil {
		return nil, nil, err
	}
	if p.Subject == "" {
		return nil, nil, invalid(ErrMissingClaim, "sub")
	}
	if len(a.clientIDs) > 0 && !slices.Contains(a.clientIDs, p.ClientID) {
		return nil, nil, invalid(ErrClientID, "client_id %q", p.ClientID)
	}
	c := &AuthgearClaims{
		Subject: p.Subject, ClientID: p.ClientID,
		ExpiresAt: p.Expiry.t, IssuedAt: p.IssuedAt.t, AuthTime: p.AuthTime.t, TokenID: p.TokenID,
		IsAnonymous: p.IsAnonymous, IsVerified: p.IsVerified, CanReauthenticate: p.CanReauthenticate,
		Roles: p.Roles, raw: raw,
	}
	c.Scopes = splitScopeInto(c.scopeBuf[:0], p.Scope)
	return c, k, nil
}

// verifyOpaque asks userinfo about an opaque token and caches the answer
// for OpaqueCacheTTL.
func (a *Authgear) verifyOpaque(ctx context.Context, token string, at slot, now time.Time) (*AuthgearClaims, error) {
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
	if err := scanAuthgearClaims(body, &p); err != nil || p.Subject == "" {
		return nil, fmt.Errorf("%w: userinfo answered no subject", ErrUnavailable)
	}
	c := &AuthgearClaims{Subject: p.Subject, IsAnonymous: p.IsAnonymous, IsVerified: p.IsVerified,
		CanReauthenticate: p.CanReauthenticate, Roles: p.Roles, Opaque: true, ExpiresAt: now.Add(a.opaqueTTL), raw: body}
	a.cache.put(at, token, c, nil, c.ExpiresAt, now)
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
