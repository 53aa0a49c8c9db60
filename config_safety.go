package agmigrate

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/verifier"
)

// checkSafety refuses settings that would weaken the identity checks or
// the transport: plain HTTP to Authgear, cookie names browsers drop, a
// short log-hash key.
func (c *Config) checkSafety() error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if !c.InsecureHTTP {
		for _, e := range [...]struct{ field, origin string }{{"Authgear", c.Authgear.Issuer()}, {"Admin", c.Admin.Endpoint()}} {
			if u, err := url.Parse(e.origin); err == nil && u.Scheme == "http" && !adminapi.IsLoopback(u.Hostname()) {
				return bad(e.field, "the Authgear endpoint %s is plain HTTP and not loopback: tokens would travel in clear (use https, or InsecureHTTP on a trusted private network)", e.origin)
			}
		}
	}
	if c.LogHashKey != nil && len(c.LogHashKey) < 16 {
		return bad("LogHashKey", "%d bytes; use 16 or more random bytes", len(c.LogHashKey))
	}
	if slices.Contains(c.AcceptClientIDs, "") {
		return bad("AcceptClientIDs", "an empty client ID")
	}
	// A verifier restricted to other clients would refuse the sessions the
	// middleware creates or accepts.
	for _, id := range append([]string{c.ClientID}, c.AcceptClientIDs...) {
		if !c.Authgear.AcceptsClient(id) {
			return bad("Authgear", "the verifier's ClientIDs do not include %q; add it there", id)
		}
	}
	if ck, ok := cookiesOf(c.Delivery); ok {
		for _, name := range []string{ck.AccessName, ck.RefreshName} {
			if err := ck.checkPrefix(name); err != "" {
				return bad("Delivery", "cookie %q: %s", name, err)
			}
		}
	}
	return nil
}

// checkPrefix says why browsers would drop cookie name with these
// attributes, or "". __Host- cookies must be Secure, with Path=/ and no
// Domain; __Secure- cookies must be Secure. Browsers match the prefixes
// without case.
func (c Cookies) checkPrefix(name string) string {
	lower := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lower, "__host-") && c.InsecureAllowHTTP:
		return "a __Host- cookie must be Secure, and InsecureAllowHTTP drops Secure: use a name without the prefix"
	case strings.HasPrefix(lower, "__host-") && (c.Domain != "" || c.Path != "/"):
		return "a __Host- cookie must have Path / and no Domain"
	case strings.HasPrefix(lower, "__secure-") && c.InsecureAllowHTTP:
		return "a __Secure- cookie must be Secure, and InsecureAllowHTTP drops Secure: use a name without the prefix"
	}
	return ""
}

// secure sets what the exchanger needs to prove identities and bind store
// entries, from the checked configuration.
func (x *Exchanger) secure(cfg *Config) {
	x.match = cfg.LoginIDMatch
	x.bind = bindingOf(cfg.Admin, cfg.ClientID)
	if x.rf != nil {
		x.rf.bind = x.bind
	}
	x.idKey = []byte(cfg.LogHashKey)
	x.accept = append([]string{cfg.ClientID}, cfg.AcceptClientIDs...)
	// The verifier's explicit opt-in (UnsafeOpaqueTokensAnyClient) is the
	// only way an opaque token, which names no client, becomes a session.
	ids := cfg.Authgear.ClientIDs()
	x.opaqueAny = len(ids) > 0 && !cfg.Authgear.RestrictedTo(ids...)
}

// loginIDHash stands for a login ID in logs: keyed, so it cannot be
// matched against hashes of known addresses.
func (x *Exchanger) loginIDHash(loginID string) string {
	if x.idKey == nil {
		return hashPrefix(loginID)
	}
	return keyedHash(x.idKey, loginID)
}

// Key returns the Store key of the exchange of legacyToken: see
// ExchangeKey.
func (x *Exchanger) Key(legacyToken string) string { return x.bind.key("x", legacyToken) }

// ExchangeKey returns the Store key under which this middleware keeps the
// exchange of legacyToken, bound to its project and client (see the
// package function ExchangeKey).
func (m *Middleware) ExchangeKey(legacyToken string) string { return m.x.Key(legacyToken) }

// verifyAuthgear verifies an Authgear access token and accepts it as a
// session only when it was issued to ClientID or one of AcceptClientIDs:
// a token the project issued to another client (another app of the same
// project) is not a session of this app. An opaque token names no client
// (Authgear's userinfo does not say), so it is refused, unless the
// verifier was explicitly configured to take opaque tokens of any client
// (verifier.AuthgearConfig.UnsafeOpaqueTokensAnyClient).
func (m *Middleware) verifyAuthgear(ctx context.Context, tok string) (*verifier.AuthgearClaims, error) {
	c, err := m.cfg.Authgear.Verify(ctx, tok)
	if err != nil {
		return nil, err
	}
	if c.ClientID == "" && c.Opaque && m.x.opaqueAny {
		return c, nil
	}
	if c.ClientID == "" {
		return nil, fmt.Errorf("agmigrate: %w: %w: the token names no client (opaque access tokens cannot be bound to ClientID; use a client that issues JWT access tokens)",
			verifier.ErrInvalidToken, verifier.ErrClientID)
	}
	if !slices.Contains(m.x.accept, c.ClientID) {
		return nil, fmt.Errorf("agmigrate: %w: %w: issued to another client of the project", verifier.ErrInvalidToken, verifier.ErrClientID)
	}
	return c, nil
}
