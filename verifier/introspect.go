package verifier

import (
	"bytes"
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

// IntrospectionConfig configures a verifier for opaque legacy tokens
// checked at an RFC 7662 introspection endpoint.
type IntrospectionConfig struct {
	// URL of the introspection endpoint. Required.
	URL string
	// ClientID and ClientSecret authenticate this app to the endpoint
	// (HTTP Basic, RFC 7662 section 2.1). Required.
	ClientID, ClientSecret string
	// TokenTypeHint is sent as token_type_hint when set.
	TokenTypeHint string
	// Issuer, when set, must equal the answer's iss.
	Issuer string
	// Audience: the answer's aud must contain one of these. ClientIDs: the
	// answer's client_id (the client the token was issued to) must be one
	// of these. At least one of the two is required unless
	// UnsafeSkipAudienceCheck: an introspection endpoint vouches for the
	// tokens of every client of its server, not only this app's.
	Audience  []string
	ClientIDs []string
	// UnsafeSkipAudienceCheck accepts tokens issued to any client of the
	// introspection server for any audience.
	UnsafeSkipAudienceCheck bool
	// InsecureAllowHTTP accepts an http:// URL on a host that is not
	// loopback. Default: refused with ErrInsecureURL.
	InsecureAllowHTTP bool
	// LoginID says which field of the answer is the login ID (default
	// "email"; many servers answer "username").
	LoginID LoginID
	// MaxCacheTTL caps how long an active answer is reused (it is never
	// reused past its exp). Default five minutes.
	MaxCacheTTL time.Duration
	// CacheSize bounds the cache. Default DefaultCacheSize; negative: off.
	CacheSize int
	// HTTPClient: default a 10 s timeout.
	HTTPClient   *http.Client
	MaxTokenSize int
	Now          func() time.Time
}

// Introspection verifies opaque tokens through RFC 7662 introspection.
type Introspection struct {
	cfg     IntrospectionConfig
	loginID LoginID
	cache   *tokenCache[*LegacyIdentity]
	http    *http.Client
	now     func() time.Time
}

// NewIntrospection checks cfg.
func NewIntrospection(cfg IntrospectionConfig) (*Introspection, error) {
	if err := checkURL("URL", cfg.URL, cfg.InsecureAllowHTTP); err != nil {
		return nil, err
	}
	if len(cfg.Audience) == 0 && len(cfg.ClientIDs) == 0 && !cfg.UnsafeSkipAudienceCheck {
		return nil, configError("Audience or ClientIDs is required (or set UnsafeSkipAudienceCheck): the endpoint answers for tokens of other clients too")
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, configError("ClientID and ClientSecret are required: introspection endpoints must not answer strangers")
	}
	lid, err := cfg.LoginID.withDefaults()
	if err != nil {
		return nil, err
	}
	in := &Introspection{cfg: cfg, loginID: lid, http: cfg.HTTPClient, now: cfg.Now}
	in.cfg.MaxCacheTTL = orDefault(cfg.MaxCacheTTL, 5*time.Minute)
	in.cfg.MaxTokenSize = orDefault(cfg.MaxTokenSize, DefaultMaxTokenSize)
	in.http = defaultHTTP(in.http)
	if in.now == nil {
		in.now = time.Now
	}
	in.cache = newTokenCache[*LegacyIdentity](cfg.CacheSize)
	return in, nil
}

// VerifyLegacy asks the introspection endpoint about token. An inactive
// token gives ErrInactive; an endpoint that fails, ErrUnavailable.
func (in *Introspection) VerifyLegacy(ctx context.Context, token string) (*LegacyIdentity, error) {
	now := in.now()
	cachedID, at, ok := in.cache.get(token, now, nil)
	if ok {
		return cachedID, nil
	}
	if token == "" || len(token) > in.cfg.MaxTokenSize {
		return nil, invalid(ErrMalformed, "empty or oversized token")
	}
	form := url.Values{"token": {token}}
	if in.cfg.TokenTypeHint != "" {
		form.Set("token_type_hint", in.cfg.TokenTypeHint)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.cfg.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(in.cfg.ClientID), url.QueryEscape(in.cfg.ClientSecret))
	resp, err := in.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: introspection: %v", ErrUnavailable, stripURLError(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: introspection answered %d", ErrUnavailable, resp.StatusCode)
	}
	var reg introspection
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if scanDistinctClaims(body, &reg) != nil || dec.Decode(&claims) != nil || !reg.hasActive {
		return nil, fmt.Errorf("%w: introspection answer is not RFC 7662 JSON", ErrUnavailable)
	}
	if !reg.active {
		return nil, invalid(ErrInactive, "introspection says inactive")
	}
	if in.cfg.Issuer != "" && reg.Issuer != in.cfg.Issuer {
		return nil, invalid(ErrIssuer, "iss %q", reg.Issuer)
	}
	if len(in.cfg.Audience) > 0 && !containsAny(reg.Audience, in.cfg.Audience) {
		return nil, invalid(ErrAudience, "aud does not name this app")
	}
	if len(in.cfg.ClientIDs) > 0 && !slices.Contains(in.cfg.ClientIDs, reg.clientID) {
		return nil, invalid(ErrClientID, "client_id %q", reg.clientID)
	}
	if reg.Expiry.present && !now.Before(reg.Expiry.t) {
		return nil, invalid(ErrExpired, "")
	}
	if reg.NotBefore.present && now.Before(reg.NotBefore.t) {
		return nil, invalid(ErrNotYetValid, "")
	}
	lid, err := in.loginID.extract(claims)
	if err != nil {
		return nil, err
	}
	id := &LegacyIdentity{LoginID: lid, LoginIDKey: in.loginID.Key, Subject: reg.Subject,
		ExpiresAt: reg.Expiry.t, TokenID: reg.TokenID, Claims: claims}
	until := now.Add(in.cfg.MaxCacheTTL)
	if reg.Expiry.present && reg.Expiry.t.Before(until) {
		until = reg.Expiry.t
	}
	in.cache.put(at, token, id, nil, until, now)
	return id, nil
}

// introspection is the part of an RFC 7662 answer the checks read, names
// matched exactly.
type introspection struct {
	registered
	active, hasActive bool
	clientID          string
}

func (p *introspection) field(s *scanner, k string) (uint32, error) {
	var err error
	switch k {
	case "active":
		p.active, err = s.boolean()
		p.hasActive = err == nil
		return 1 << 14, err
	case "client_id":
		p.clientID, err = s.optStr()
		return 1 << 15, err
	}
	return p.registered.field(s, k)
}

func containsAny(a audience, want []string) bool {
	for _, w := range want {
		if a.contains(w) {
			return true
		}
	}
	return false
}

// LegacyFunc adapts a function to Legacy, for systems with their own
// session store (a session-ID cookie looked up in a database, say). The
// function returns the identity with LoginID as stored; LegacyFunc
// normalises it for LoginIDKey (default "email") and refuses what Authgear
// would refuse. Return an error wrapping ErrInvalidToken for an unknown or
// expired session, so it is answered with 401.
type LegacyFunc func(ctx context.Context, token string) (*LegacyIdentity, error)

// VerifyLegacy calls f and normalises its login ID.
func (f LegacyFunc) VerifyLegacy(ctx context.Context, token string) (*LegacyIdentity, error) {
	id, err := f(ctx, token)
	if err != nil {
		return nil, err
	}
	if id == nil {
		return nil, invalid(ErrInactive, "no session")
	}
	out := *id
	if out.LoginIDKey == "" {
		out.LoginIDKey = "email"
	}
	if out.LoginID, err = NormalizeLoginID(out.LoginIDKey, id.LoginID); err != nil {
		return nil, err
	}
	if !out.ExpiresAt.IsZero() && !time.Now().Before(out.ExpiresAt) {
		return nil, invalid(ErrExpired, "")
	}
	return &out, nil
}

// Invalid returns an error for a refused token that wraps ErrInvalidToken
// and kind (ErrInactive, ErrExpired, …), for LegacyFunc implementations.
func Invalid(kind error, detail string) error { return invalid(kind, "%s", detail) }
