package verifier_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
	"github.com/lestrrat-go/jwx/v2/jwa"
)

type env struct {
	fake  *authgeartest.Server
	clock *clock
	alice string
}

func newEnv(t *testing.T, opts authgeartest.Options) *env {
	t.Helper()
	c := newClock()
	opts.EnableCreateSession = true
	opts.Now = c.Now
	fake := authgeartest.New(t, opts)
	// A password makes Authgear set can_reauthenticate (recorded: false without one).
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com", Roles: []string{"editor"}, PasswordHash: "$2a$04$c1xcKqJDnsiBA9C3YEsORu8aQCBMzBnU.FiNtky0SHXlxjgybadPi"})
	return &env{fake: fake, clock: c, alice: alice}
}

func (e *env) verifier(t *testing.T, cfg verifier.AuthgearConfig) *verifier.Authgear {
	t.Helper()
	cfg.Endpoint = e.fake.URL
	if cfg.Now == nil {
		cfg.Now = e.clock.Now
	}
	v, err := verifier.NewAuthgear(bg(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// claims are claims shaped like the fake's (and Authgear's) access tokens.
func (e *env) claims() map[string]any {
	now := e.clock.Now().Unix()
	return map[string]any{"iss": e.fake.URL, "aud": []string{e.fake.URL}, "sub": e.alice, "client_id": "test-client",
		"iat": now, "exp": now + 1800, "scope": "openid"}
}

func (e *env) forge(t *testing.T, hdr map[string]any, claims map[string]any) string {
	if hdr == nil {
		hdr = map[string]any{"kid": e.fake.SigningKeyID(), "typ": "at+jwt"}
	}
	return forge(t, e.fake.SigningKey(), jwa.RS256, hdr, claims)
}

func TestAuthgearVerifiesCreatedSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	v := e.verifier(t, verifier.AuthgearConfig{})
	c, err := v.Verify(bg(t), session(t, e.fake, e.alice, "test-client"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != e.alice || c.ClientID != "test-client" || !c.HasScope("offline_access") || c.Opaque {
		t.Errorf("claims %+v", c)
	}
	if len(c.Roles) != 1 || c.Roles[0] != "editor" || !c.CanReauthenticate || c.IsAnonymous {
		t.Errorf("authgear claims %+v", c)
	}
	if d := c.ExpiresAt.Sub(c.IssuedAt); d != 30*time.Minute {
		t.Errorf("lifetime %v", d)
	}
	raw, err := c.Raw()
	if err != nil || raw["client_id"] != "test-client" {
		t.Errorf("raw %v %v", raw, err)
	}
}

func TestAuthgearRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{AdminListener: true})
	v := e.verifier(t, verifier.AuthgearConfig{ClientIDs: []string{"test-client"}})
	kid := e.fake.SigningKeyID()
	with := func(k string, val any) map[string]any {
		c := e.claims()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	now := e.clock.Now().Unix()
	pub := e.fake.PublicKeys()
	pk, _ := pub.Key(0)
	var rsaPub rsa.PublicKey
	_ = pk.Raw(&rsaPub)
	der, _ := x509.MarshalPKIXPublicKey(&rsaPub)

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", verifier.ErrMalformed},
		{"garbage", "not a token", verifier.ErrMalformed},
		{"four parts", "a.b.c.d", verifier.ErrMalformed},
		{"bad base64 header", "!!.e30.c2ln", verifier.ErrMalformed},
		{"header not JSON", b64("x")[:2] + "x.e30.c2ln", verifier.ErrMalformed},
		{"too large", strings.Repeat("a", verifier.DefaultMaxTokenSize+1), verifier.ErrTooLarge},
		{"alg none", b64(map[string]any{"alg": "none", "kid": kid}) + "." + b64(e.claims()) + ".", verifier.ErrAlgorithm},
		{"alg None", b64(map[string]any{"alg": "None", "kid": kid}) + "." + b64(e.claims()) + ".c2ln", verifier.ErrAlgorithm},
		{"HS256 keyed with the public key", hmacToken(map[string]any{"alg": "HS256", "kid": kid}, e.claims(), der), verifier.ErrAlgorithm},
		{"RS512", forge(t, e.fake.SigningKey(), jwa.RS512, map[string]any{"kid": kid}, e.claims()), verifier.ErrAlgorithm},
		{"crit header", e.forge(t, map[string]any{"kid": kid, "crit": []string{"exp"}}, e.claims()), verifier.ErrCritical},
		{"no kid", e.forge(t, map[string]any{"typ": "at+jwt"}, e.claims()), verifier.ErrUnknownKey},
		{"id token typ", e.forge(t, map[string]any{"kid": kid, "typ": "JWT"}, e.claims()), verifier.ErrTokenType},
		{"bad signature", e.forge(t, nil, e.claims())[:100] + "x" + e.forge(t, nil, e.claims())[101:], verifier.ErrSignature},
		{"expired", e.forge(t, nil, with("exp", now-120)), verifier.ErrExpired},
		{"no exp", e.forge(t, nil, with("exp", nil)), verifier.ErrMissingClaim},
		{"not yet valid", e.forge(t, nil, with("nbf", now+600)), verifier.ErrNotYetValid},
		{"issued in the future", e.forge(t, nil, with("iat", now+600)), verifier.ErrIssuedAt},
		{"wrong issuer", e.forge(t, nil, with("iss", "https://evil.example")), verifier.ErrIssuer},
		{"wrong audience", e.forge(t, nil, with("aud", []string{"https://evil.example"})), verifier.ErrAudience},
		{"no subject", e.forge(t, nil, with("sub", nil)), verifier.ErrMissingClaim},
		{"other client", e.forge(t, nil, with("client_id", "other")), verifier.ErrClientID},
		{"claims not JSON", strings.Join([]string{strings.Split(e.forge(t, nil, e.claims()), ".")[0], "bm90IGpzb24", "c2ln"}, "."), verifier.ErrSignature},
	}
	for _, tt := range tests {
		_, err := v.Verify(bg(t), tt.token)
		if !errors.Is(err, tt.want) || !errors.Is(err, verifier.ErrInvalidToken) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if err != nil && len(tt.token) > 20 && strings.Contains(err.Error(), tt.token[:20]) {
			t.Errorf("%s: error message contains the token", tt.name)
		}
	}
	// Within the leeway an expired token still passes.
	if _, err := v.Verify(bg(t), e.forge(t, nil, with("exp", now-30))); err != nil {
		t.Errorf("expired 30 s ago with a 1 min leeway: %v", err)
	}
}

// A token that passes once is cached; the cache re-checks exp on every hit.
func TestAuthgearCacheRechecksExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	v := e.verifier(t, verifier.AuthgearConfig{Leeway: time.Second})
	tok := session(t, e.fake, e.alice, "test-client")
	c1, err := v.Verify(bg(t), tok)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := v.Verify(bg(t), tok)
	if err != nil || c2 != c1 {
		t.Fatalf("second verify: %p vs %p, %v (want the cached value)", c2, c1, err)
	}
	e.clock.Advance(31 * time.Minute)
	if _, err := v.Verify(bg(t), tok); !errors.Is(err, verifier.ErrExpired) {
		t.Fatalf("after expiry: %v, want ErrExpired", err)
	}
}

func TestAuthgearKeyRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	v := e.verifier(t, verifier.AuthgearConfig{CacheSize: -1, RefetchCooldown: time.Minute})
	old := session(t, e.fake, e.alice, "test-client")
	if _, err := v.Verify(bg(t), old); err != nil {
		t.Fatal(err)
	}
	fetches := e.fake.Calls("jwks")

	// A new key signs; the old one stays published. The first token with
	// the new kid makes one refetch.
	e.fake.RotateSigningKey(true)
	fresh := session(t, e.fake, e.alice, "test-client")
	if _, err := v.Verify(bg(t), fresh); err != nil {
		t.Fatalf("token from the rotated key: %v", err)
	}
	if _, err := v.Verify(bg(t), old); err != nil {
		t.Fatalf("token from the old, still published key: %v", err)
	}
	if got := e.fake.Calls("jwks") - fetches; got != 1 {
		t.Errorf("%d JWKS fetches for one rotation, want 1", got)
	}

	// The old keys are withdrawn. Once a refetch happens (the cool-down has
	// passed and a new kid shows up), tokens of the removed keys fail.
	e.clock.Advance(2 * time.Minute)
	e.fake.RotateSigningKey(false)
	if _, err := v.Verify(bg(t), session(t, e.fake, e.alice, "test-client")); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{old, fresh} {
		if _, err := v.Verify(bg(t), tok); !errors.Is(err, verifier.ErrUnknownKey) {
			t.Errorf("token of a removed key: %v, want ErrUnknownKey", err)
		}
	}
}

// A flood of tokens naming random kids makes at most one JWKS fetch per
// cool-down, and none of them waits for more than one fetch.
func TestAuthgearUnknownKidFlood(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	v := e.verifier(t, verifier.AuthgearConfig{RefetchCooldown: time.Minute})
	fetches := e.fake.Calls("jwks")
	// The key endpoint hangs until the flood is over: if any Verify waited
	// for the fetch, the flood could never end while it is held.
	hold := make(chan struct{})
	e.fake.SetFault("jwks", authgeartest.Fault{Hold: hold})
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tok := e.forge(t, map[string]any{"kid": fmt.Sprintf("random-%d", i), "typ": "at+jwt"}, e.claims())
			if _, err := v.Verify(bg(t), tok); !errors.Is(err, verifier.ErrUnknownKey) {
				t.Errorf("random kid: %v", err)
			}
		}(i)
	}
	flood := make(chan struct{})
	go func() { wg.Wait(); close(flood) }()
	select {
	case <-flood:
	case <-time.After(time.Minute): // a deadline for a hang, not a speed check
		close(hold)
		t.Fatal("unknown-kid requests waited for the held key fetch")
	}
	close(hold)
	e.fake.ClearFault("jwks")
	if got := e.fake.Calls("jwks") - fetches; got > 1 {
		t.Errorf("%d JWKS fetches for a flood of unknown kids, want at most 1", got)
	}
	// A real token still verifies throughout.
	if _, err := v.Verify(bg(t), session(t, e.fake, e.alice, "test-client")); err != nil {
		t.Errorf("genuine token during the flood: %v", err)
	}
}

// While the JWKS endpoint is down, the keys fetched before keep serving.
func TestAuthgearStaleKeysWhileJWKSDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	v := e.verifier(t, verifier.AuthgearConfig{CacheSize: -1, RefetchCooldown: time.Second,
		HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	e.fake.SetFault("jwks", authgeartest.Fault{Status: 503})
	tok := session(t, e.fake, e.alice, "test-client")
	// An unknown kid forces a refetch, which fails.
	start := time.Now()
	if _, err := v.Verify(bg(t), e.forge(t, map[string]any{"kid": "unknown"}, e.claims())); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Errorf("unknown kid while JWKS down: %v", err)
	}
	if _, err := v.Verify(bg(t), tok); err != nil {
		t.Errorf("known kid while JWKS down: %v", err)
	}
	// A hanging endpoint: the fetch gives up at the client's timeout.
	e.fake.SetFault("jwks", authgeartest.Fault{Latency: time.Minute})
	e.clock.Advance(2 * time.Second)
	start = time.Now()
	_, _ = v.Verify(bg(t), e.forge(t, map[string]any{"kid": "unknown-2"}, e.clock2claims(e)))
	// Generous: the bound is the client's 2 s timeout, far below the
	// endpoint's minute, on a machine that may be busy.
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("an unknown kid waited %v for a hanging JWKS endpoint", d)
	}
}

func (e *env) clock2claims(_ *env) map[string]any { return e.claims() }

func TestAuthgearOpaqueTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "web", OpaqueAccessTokens: true}}})
	tok := session(t, e.fake, e.alice, "web")
	off := e.verifier(t, verifier.AuthgearConfig{})
	if _, err := off.Verify(bg(t), tok); !errors.Is(err, verifier.ErrMalformed) {
		t.Errorf("opaque token with OpaqueTokens off: %v", err)
	}
	v := e.verifier(t, verifier.AuthgearConfig{OpaqueTokens: true, OpaqueCacheTTL: time.Minute})
	for i := 0; i < 3; i++ {
		c, err := v.Verify(bg(t), tok)
		if err != nil || c.Subject != e.alice || !c.Opaque {
			t.Fatalf("opaque token: %+v, %v", c, err)
		}
	}
	if n := e.fake.Calls("userinfo"); n != 1 {
		t.Errorf("%d userinfo calls for 3 verifications, want 1 (cached)", n)
	}
	e.fake.SetUserDisabled(e.alice, true)
	e.clock.Advance(2 * time.Minute)
	if _, err := v.Verify(bg(t), tok); !errors.Is(err, verifier.ErrInactive) {
		t.Errorf("disabled user's opaque token after the cache TTL: %v", err)
	}
	e.fake.SetFault("userinfo", authgeartest.Fault{Status: 503})
	if _, err := v.Verify(bg(t), "another-opaque-token"); !errors.Is(err, verifier.ErrUnavailable) || errors.Is(err, verifier.ErrInvalidToken) {
		t.Errorf("userinfo down: %v, want ErrUnavailable (not a refusal)", err)
	}
}

func TestNewAuthgearErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	for name, cfg := range map[string]verifier.AuthgearConfig{
		"no endpoint":     {},
		"endpoint w/path": {Endpoint: e.fake.URL + "/oauth2"},
		"not http":        {Endpoint: "ftp://x"},
		"huge leeway":     {Endpoint: e.fake.URL, Leeway: time.Hour},
	} {
		if _, err := verifier.NewAuthgear(bg(t), cfg); !errors.Is(err, verifier.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	e.fake.SetFault("discovery", authgeartest.Fault{Status: 503, Times: 1})
	if _, err := verifier.NewAuthgear(bg(t), verifier.AuthgearConfig{Endpoint: e.fake.URL}); !errors.Is(err, verifier.ErrUnavailable) {
		t.Errorf("discovery down: %v, want ErrUnavailable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: e.fake.URL}); err == nil {
		t.Error("cancelled context: no error")
	}
}
