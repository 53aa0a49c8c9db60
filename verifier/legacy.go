package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// LegacyIdentity is what a legacy verifier vouches for. The exchange looks
// the user up in Authgear by LoginID under LoginIDKey.
type LegacyIdentity struct {
	LoginID    string    // normalised, ready for getUserByLoginID
	LoginIDKey string    // "email", "phone" or "username"
	Subject    string    // the legacy system's user ID, if it has one
	ExpiresAt  time.Time // zero when the token does not say
	TokenID    string    // jti or the like, if any
	// Claims are every verified claim. Treat as read-only: a cached
	// identity is shared between requests.
	Claims map[string]any
}

// Legacy verifies the tokens (or session IDs) of the system being
// migrated away from.
type Legacy interface {
	VerifyLegacy(ctx context.Context, token string) (*LegacyIdentity, error)
}

// JWTConfig configures a verifier for legacy JWTs. Exactly one key source
// must be set: JWKSURL, Discovery (with Issuer), JWKS, PublicKeysPEM or
// HMACSecret.
type JWTConfig struct {
	// JWKSURL is where the signing keys are published.
	JWKSURL string
	// Discovery finds the JWKS through Issuer's OIDC discovery document.
	Discovery bool
	// JWKS is a static JWK set (public keys) in JSON.
	JWKS []byte
	// PublicKeysPEM holds one or more PEM public keys or certificates.
	PublicKeysPEM []byte
	// HMACSecret is the shared secret of an HS256/384/512 system (at least
	// 32 bytes).
	HMACSecret []byte

	// Algorithms allowed. Default RS256, or HS256 with HMACSecret. Keys are
	// bound to these: a token's alg must be allowed and fit its key.
	Algorithms []string

	// Issuer must equal the iss claim. Required unless
	// UnsafeSkipIssuerCheck.
	Issuer string
	// Audience: the token's audience claim must contain one of these.
	// Required unless UnsafeSkipAudienceCheck.
	Audience []string
	// AudienceClaim is the claim checked against Audience. Default "aud";
	// Cognito access tokens carry their client in "client_id" instead.
	AudienceClaim string
	// RequiredClaims must be present with these exact values (for example
	// {"token_use": "access"}).
	RequiredClaims map[string]any

	// UnsafeSkipIssuerCheck accepts any issuer. Only for a system whose
	// tokens carry none and whose keys are its alone.
	UnsafeSkipIssuerCheck bool
	// UnsafeSkipAudienceCheck accepts tokens meant for any audience, so a
	// token issued to another app of the same issuer passes.
	UnsafeSkipAudienceCheck bool

	// Leeway tolerates clock skew. Default one minute.
	Leeway time.Duration
	// MaxAge refuses tokens issued longer ago than this (by iat). Default:
	// no limit beyond exp.
	MaxAge time.Duration
	// AllowNoExpiry accepts tokens without exp. Default: exp is required.
	AllowNoExpiry bool

	// LoginID says which verified claim is the Authgear login ID.
	LoginID LoginID

	// InsecureAllowHTTP accepts http:// for JWKSURL, the Discovery issuer
	// and the JWKS it names on a host that is not loopback. Default:
	// refused with ErrInsecureURL.
	InsecureAllowHTTP bool

	CacheSize       int           // verified-token cache; default DefaultCacheSize, negative: off
	MaxTokenSize    int           // default DefaultMaxTokenSize
	HTTPClient      *http.Client  // default: 10 s timeout
	RefetchCooldown time.Duration // default one minute
	RefreshInterval time.Duration // default 15 minutes
	Now             func() time.Time
}

// JWT verifies legacy JWTs. Safe for concurrent use; Close stops the
// background key refresh of a remote key set.
type JWT struct {
	keys     keySource
	remote   *remoteKeys
	issuer   string
	audience []string
	audClaim string
	required map[string]any
	skipIss  bool
	skipAud  bool
	times    timeChecks
	loginID  LoginID
	maxSize  int
	cache    *tokenCache[*LegacyIdentity]
	now      func() time.Time
}

// NewJWT checks cfg and, for a remote key set, fetches it once.
func NewJWT(ctx context.Context, cfg JWTConfig) (*JWT, error) {
	lid, err := cfg.LoginID.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Issuer == "" && !cfg.UnsafeSkipIssuerCheck {
		return nil, configError("Issuer is required (or set UnsafeSkipIssuerCheck)")
	}
	if len(cfg.Audience) == 0 && !cfg.UnsafeSkipAudienceCheck {
		return nil, configError("Audience is required (or set UnsafeSkipAudienceCheck)")
	}
	if cfg.Leeway < 0 || cfg.Leeway > 10*time.Minute || cfg.MaxAge < 0 {
		return nil, configError("Leeway must be within [0, 10m] and MaxAge not negative")
	}
	sources := 0
	for _, set := range []bool{cfg.JWKSURL != "", cfg.Discovery, len(cfg.JWKS) > 0, len(cfg.PublicKeysPEM) > 0, len(cfg.HMACSecret) > 0} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, configError("set exactly one of JWKSURL, Discovery, JWKS, PublicKeysPEM, HMACSecret (%d set)", sources)
	}
	allowed := cfg.Algorithms
	if len(allowed) == 0 {
		allowed = []string{"RS256"}
		if len(cfg.HMACSecret) > 0 {
			allowed = []string{"HS256"}
		}
	}
	for _, a := range allowed {
		info, ok := algs[a]
		if !ok {
			return nil, configError("unknown algorithm %q", a)
		}
		// HMAC next to public-key algorithms is how algorithm confusion
		// starts; one verifier takes one kind.
		if (info.family == "HMAC") != (len(cfg.HMACSecret) > 0) {
			return nil, configError("algorithm %s does not fit the key source", a)
		}
	}
	v := &JWT{
		issuer: cfg.Issuer, audience: cfg.Audience, audClaim: orDefault(cfg.AudienceClaim, "aud"),
		required: cfg.RequiredClaims, skipIss: cfg.UnsafeSkipIssuerCheck, skipAud: cfg.UnsafeSkipAudienceCheck,
		times:   timeChecks{leeway: orDefault(cfg.Leeway, time.Minute), requireExp: !cfg.AllowNoExpiry, maxAge: cfg.MaxAge},
		loginID: lid, maxSize: orDefault(cfg.MaxTokenSize, DefaultMaxTokenSize), now: cfg.Now,
	}
	if v.now == nil {
		v.now = time.Now
	}
	v.cache = newJWSCache[*LegacyIdentity](cfg.CacheSize)
	hc := defaultHTTP(cfg.HTTPClient)
	switch {
	case len(cfg.HMACSecret) > 0:
		k, err := newKey("", cfg.HMACSecret, "", allowed)
		if err != nil {
			return nil, configError("%v", err)
		}
		v.keys = staticKeys{"": k}
	case len(cfg.JWKS) > 0:
		set, err := jwk.Parse(cfg.JWKS)
		if err != nil {
			return nil, configError("JWKS: %v", err)
		}
		keys, malformed, err := keysFromSet(set, allowed)
		if err != nil {
			return nil, configError("JWKS: %v", err)
		}
		if len(malformed) > 0 {
			// A static set is the team's own: a bad key in it is a mistake
			// to fix now, not a key to drop quietly.
			return nil, configError("JWKS: %s", firstMalformed(malformed))
		}
		v.keys = staticKeys(keys)
	case len(cfg.PublicKeysPEM) > 0:
		keys, err := parsePEMKeys(cfg.PublicKeysPEM, allowed)
		if err != nil {
			return nil, configError("PublicKeysPEM: %v", err)
		}
		v.keys = keys
	default:
		url := cfg.JWKSURL
		if cfg.Discovery {
			if cfg.Issuer == "" {
				return nil, configError("Discovery needs Issuer")
			}
			if err := checkURL("Issuer (Discovery)", cfg.Issuer, cfg.InsecureAllowHTTP); err != nil {
				return nil, err
			}
			d, err := discover(ctx, hc, strings.TrimSuffix(cfg.Issuer, "/"))
			if err != nil {
				return nil, err
			}
			url = d.JWKSURI
		}
		if err := checkURL("JWKS URL", url, cfg.InsecureAllowHTTP); err != nil {
			return nil, err
		}
		r, err := newRemoteKeys(ctx, url, remoteOptions{client: hc, allowed: allowed,
			cooldown: orDefault(cfg.RefetchCooldown, time.Minute), timeout: 10 * time.Second,
			refreshInterval: orDefault(cfg.RefreshInterval, 15*time.Minute), now: v.now})
		if err != nil {
			return nil, err
		}
		v.keys, v.remote = r, r
	}
	return v, nil
}

// Close stops the background refresh of a remote key set.
func (v *JWT) Close() {
	if v.remote != nil {
		v.remote.close()
	}
}

// VerifyLegacy checks a legacy JWT and returns the identity it vouches for.
func (v *JWT) VerifyLegacy(ctx context.Context, token string) (*LegacyIdentity, error) {
	now := v.now()
	cachedID, at, ok := v.cache.get(token, now, v.keys)
	if ok {
		return cachedID, nil
	}
	var sigBuf [maxStackSig]byte
	jws, err := parseCompact(token, v.maxSize, sigBuf[:0])
	if err != nil {
		return nil, err
	}
	raw, k, err := verifiedPayload(ctx, &jws, v.keys, now)
	if err != nil {
		return nil, err
	}
	var reg registered
	claims, err := scanLegacyClaims(raw, &reg)
	if err != nil {
		// Names match exactly and each may appear once, at any depth.
		return nil, invalid(ErrMalformed, "claims: %v", err)
	}
	if err := v.check(&reg, claims, now); err != nil {
		return nil, err
	}
	lid, err := v.loginID.extract(claims)
	if err != nil {
		return nil, err
	}
	id := &LegacyIdentity{LoginID: lid, LoginIDKey: v.loginID.Key, Subject: reg.Subject,
		ExpiresAt: reg.Expiry.t, TokenID: reg.TokenID, Claims: claims}
	exp := reg.Expiry.t
	if !reg.Expiry.present {
		exp = now.Add(5 * time.Minute) // no exp: re-verify now and then
	}
	if v.times.maxAge > 0 && reg.IssuedAt.t.Add(v.times.maxAge).Before(exp) {
		// MaxAge is a check like exp: the cache must not outlive it.
		exp = reg.IssuedAt.t.Add(v.times.maxAge)
	}
	v.cache.put(at, token, id, k, exp.Add(v.times.leeway), now)
	return id, nil
}

func (v *JWT) check(reg *registered, claims map[string]any, now time.Time) error {
	if !v.skipIss && reg.Issuer != v.issuer {
		return invalid(ErrIssuer, "iss %q", reg.Issuer)
	}
	if !v.skipAud {
		var aud audience
		if v.audClaim == "aud" {
			aud = reg.Audience
		} else if s, ok := claims[v.audClaim].(string); ok {
			aud = audience{s}
		}
		if !slices.ContainsFunc(v.audience, aud.contains) {
			return invalid(ErrAudience, "%s does not name this app", v.audClaim)
		}
	}
	if err := v.times.check(reg, now); err != nil {
		return err
	}
	for name, want := range v.required {
		got, ok := claims[name]
		if !ok || !sameJSON(got, want) {
			return invalid(ErrMissingClaim, "claim %q must be %v", name, want)
		}
	}
	return nil
}

// sameJSON compares a decoded claim (numbers as json.Number) with a value
// from configuration.
func sameJSON(got, want any) bool {
	a, err1 := json.Marshal(got)
	b, err2 := json.Marshal(want)
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}
