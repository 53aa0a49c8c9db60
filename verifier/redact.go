package verifier

import (
	"fmt"
	"log/slog"
)

// Values that hold a key or a secret (an HMAC secret, an introspection
// client secret) describe themselves without it however they are printed:
// fmt (every verb; a Format method is also what fmt uses for fields it
// could otherwise only print raw) and slog. Configurations have value
// receivers, so a value and a pointer print alike; verifiers, which are
// always used by pointer, have pointer receivers.

// Format prints the configuration with HMACSecret hidden.
func (c JWTConfig) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "verifier.JWTConfig{Issuer: %q, Audience: %q, JWKSURL: %q, Discovery: %v, Algorithms: %q, LoginID: %s, MaxAge: %v, HMACSecret: %s}",
		c.Issuer, c.Audience, c.JWKSURL, c.Discovery, c.Algorithms, c.LoginID.describe(), c.MaxAge, redacted(len(c.HMACSecret) > 0))
}

// LogValue is what slog logs: the configuration without HMACSecret.
func (c JWTConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("issuer", c.Issuer), slog.Any("audience", c.Audience), slog.String("jwks_url", c.JWKSURL),
		slog.Any("algorithms", c.Algorithms), slog.String("login_id", c.LoginID.describe()), slog.String("hmac_secret", redacted(len(c.HMACSecret) > 0)))
}

// Format prints the configuration with ClientSecret hidden.
func (c IntrospectionConfig) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "verifier.IntrospectionConfig{URL: %q, ClientID: %q, Issuer: %q, Audience: %q, ClientIDs: %q, LoginID: %s, ClientSecret: %s}",
		c.URL, c.ClientID, c.Issuer, c.Audience, c.ClientIDs, c.LoginID.describe(), redacted(c.ClientSecret != ""))
}

// LogValue is what slog logs: the configuration without ClientSecret.
func (c IntrospectionConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", c.URL), slog.String("client_id", c.ClientID), slog.String("issuer", c.Issuer),
		slog.Any("audience", c.Audience), slog.Any("client_ids", c.ClientIDs), slog.String("login_id", c.LoginID.describe()),
		slog.String("client_secret", redacted(c.ClientSecret != "")))
}

// Format describes the verifier without its keys.
func (v *JWT) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "verifier.JWT{Issuer: %q, Audience: %q, LoginID: %s, keys redacted}", v.issuer, v.audience, v.loginID.describe())
}

// LogValue describes the verifier without its keys.
func (v *JWT) LogValue() slog.Value {
	return slog.GroupValue(slog.String("issuer", v.issuer), slog.Any("audience", v.audience), slog.String("login_id", v.loginID.describe()))
}

// Format describes the verifier without its client secret.
func (in *Introspection) Format(f fmt.State, verb rune) { in.cfg.Format(f, verb) }

// LogValue describes the verifier without its client secret.
func (in *Introspection) LogValue() slog.Value { return in.cfg.LogValue() }

func (l LoginID) describe() string {
	return fmt.Sprintf("{Key: %q, Claim: %q, VerifiedClaim: %q}", l.Key, l.Claim, l.VerifiedClaim)
}

func redacted(set bool) string {
	if set {
		return "[redacted]"
	}
	return "none"
}
