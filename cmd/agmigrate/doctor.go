package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/verifier"
)

type doctorFlags struct {
	authgearFlags
	loginID, loginIDKey                       string
	probeSession                              bool
	legacyTokenFile, legacyJWKS, legacySecret string
	legacyIssuer, legacyAudience              string
	legacyClaim                               string
	timeout                                   time.Duration
}

// report prints one line per check.
type report struct {
	out    io.Writer
	failed int
}

func (r *report) ok(name, detail string) { fmt.Fprintf(r.out, "ok    %s%s\n", name, suffix(detail)) }
func (r *report) skip(name, why string)  { fmt.Fprintf(r.out, "skip  %s: %s\n", name, why) }
func (r *report) fail(name, what, fix string) {
	r.failed++
	fmt.Fprintf(r.out, "FAIL  %s: %s\n      fix: %s\n", name, what, fix)
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func doctor(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	fs := flag.NewFlagSet("agmigrate doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f doctorFlags
	f.register(fs, env)
	fs.StringVar(&f.loginID, "login-id", "", "a login ID that should exist in Authgear (checks the lookup)")
	fs.StringVar(&f.loginIDKey, "login-id-key", "email", "the login ID key: email, phone or username")
	fs.BoolVar(&f.probeSession, "probe-session", false, "create one real session for --login-id to check its access token (JWT, public host)")
	fs.StringVar(&f.legacyTokenFile, "legacy-token-file", "", "a file holding a sample legacy token the legacy verifier should accept, or - to read it from standard input")
	// Kept only to refuse: see refuseTokenFlag, which runs before parsing
	// so that the flag package never echoes the token in its error.
	fs.Func("legacy-token", "refused: a live token on the command line shows in ps and the shell history; use --legacy-token-file", func(string) error {
		return errLegacyTokenFlag
	})
	fs.StringVar(&f.legacyJWKS, "legacy-jwks-url", "", "the legacy system's JWKS URL")
	fs.StringVar(&f.legacySecret, "legacy-hs256-secret-file", "", "a file holding the legacy system's HS256 secret")
	fs.StringVar(&f.legacyIssuer, "legacy-issuer", "", "the legacy tokens' iss")
	fs.StringVar(&f.legacyAudience, "legacy-audience", "", "the legacy tokens' aud")
	fs.StringVar(&f.legacyClaim, "legacy-login-id-claim", "", "the claim holding the login ID (default for the key, e.g. email)")
	fs.DurationVar(&f.timeout, "timeout", 20*time.Second, "time allowed for all checks")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: agmigrate doctor [flags]\n\nChecks an Authgear setup for agmigrate, one line per check with a fix for each failure.\nExit status 1 when a check fails.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if refuseTokenFlag(args) {
		fmt.Fprintln(stderr, "agmigrate doctor: --legacy-token:", errLegacyTokenFlag)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	r := &report{out: stdout}
	f.run(ctx, r)
	if r.failed > 0 {
		fmt.Fprintf(stdout, "\n%d check(s) failed.\n", r.failed)
		return 1
	}
	fmt.Fprintln(stdout, "\nAll checks passed.")
	return 0
}

func (f *doctorFlags) run(ctx context.Context, r *report) {
	// 1–2: the endpoint, its discovery document and JWKS.
	var ag *verifier.Authgear
	switch {
	case f.endpoint == "":
		r.fail("endpoint", "no endpoint", "set --endpoint or AUTHGEAR_ENDPOINT to the project's public origin")
	default:
		var err error
		ag, err = verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: f.endpoint})
		switch {
		case errors.Is(err, verifier.ErrConfig):
			r.fail("endpoint", err.Error(), "use the public origin itself, e.g. https://myapp.authgear.cloud (no path), as discovery names it")
		case err != nil && strings.Contains(err.Error(), "discovery"):
			r.fail("endpoint", err.Error(), "check the URL and that this machine can reach it; a self-hosted Authgear answers discovery on its main port (3000), not the admin port")
		case err != nil:
			r.fail("discovery and JWKS", err.Error(), "the JWKS must list the project's RS256 signing key; check the oauth secret in authgear.secrets.yaml")
		default:
			defer ag.Close()
			r.ok("endpoint answers", f.endpoint)
			r.ok("discovery and JWKS", "issuer matches, RS256 keys published")
		}
	}

	// 3: the admin key.
	admin, err := f.admin()
	switch {
	case errors.Is(err, errKeyFileReadable):
		r.fail("admin key", err.Error(), "the key can read and change every user of the project: chmod 600 "+f.keyFile+" (or pass --allow-readable-key-file)")
		return
	case err != nil:
		r.fail("admin key", err.Error(), "download the key in the portal (Advanced > Admin API) and give its key ID")
		return
	}
	_, err = admin.GetUserByLoginID(ctx, "email", "agmigrate-doctor@example.invalid")
	var he *adminapi.HTTPError
	switch {
	case rateLimited(err):
		r.fail("Admin API not rate limiting", "Authgear answered 429 (rate limited)", adminBudgetFix)
		return
	case errors.As(err, &he) && he.StatusCode == http.StatusNotFound && f.adminURL == "":
		r.fail("Admin API reachable", "HTTP 404 at "+adminPath(f),
			"a self-hosted Authgear serves the Admin API on its own listener (ADMIN_LISTEN_ADDR, port 3002 by default), not on the public origin: "+
				"set --admin-url / AUTHGEAR_ADMIN_URL to it, e.g. http://authgear-host:3002 (requests still carry the public host); on Authgear Cloud, check --endpoint")
		return
	case errors.As(err, &he) && he.StatusCode == http.StatusNotFound:
		r.fail("Admin API reachable", "HTTP 404 at "+adminPath(f),
			"--admin-url / AUTHGEAR_ADMIN_URL must be the base URL of Authgear's admin listener (scheme://host:port, no path), port 3002 by default")
		return
	case errors.Is(err, adminapi.ErrForbidden):
		r.fail("admin key accepted", "the Admin API answered 403", "check --admin-key-id matches the key file, --project-id is the project ID (not a URL), and this machine's clock")
		return
	case err != nil && !errors.Is(err, adminapi.ErrUserNotFound) && !errors.Is(err, adminapi.ErrInvalidLoginID):
		r.fail("admin key accepted", err.Error(), "the Admin API must be reachable at "+adminPath(f))
		return
	default:
		r.ok("admin key accepted", "")
	}

	// 4: createSession switched on. A malformed user ID tells disabled
	// (checked first by Authgear) from enabled without creating a session.
	_, err = admin.CreateSession(ctx, "agmigrate-doctor-probe", orDash(f.clientID), nil)
	switch {
	case rateLimited(err):
		r.fail("Admin API not rate limiting", "Authgear answered 429 (rate limited) to a mutation", adminBudgetFix)
		return
	case errors.Is(err, adminapi.ErrCreateSessionDisabled):
		r.fail("createSession enabled", "Authgear answered \"CreateSession is disabled\"",
			"self-hosted: set admin_api.create_session_enabled: true in authgear.features.yaml; Authgear Cloud: ask Authgear to enable it")
	case errors.Is(err, adminapi.ErrInvalidInput):
		r.ok("createSession enabled", "")
	default:
		r.fail("createSession enabled", fmt.Sprint(err), "unexpected answer to a malformed createSession; check the Admin API endpoint")
	}

	// 5: the client. A well-formed ID of a user that does not exist: the
	// client is checked before the user, and no session can be created.
	if f.clientID == "" {
		r.skip("client ID", "no --client-id / AUTHGEAR_CLIENT_ID given")
	} else {
		_, err = admin.CreateSession(ctx, adminapi.UserNodeID(randomUUID()), f.clientID, nil)
		var ge *adminapi.GraphQLError
		switch {
		case errors.Is(err, adminapi.ErrUserNotFound):
			r.ok("client ID exists", f.clientID+", first-party")
		case errors.As(err, &ge) && ge.Message == "invalid client ID":
			r.fail("client ID exists", "Authgear does not know client "+f.clientID, "copy the client ID from the portal (Applications)")
		case errors.As(err, &ge) && strings.Contains(ge.Message, "non-first party"):
			r.fail("client ID exists", f.clientID+" is a third-party client", "use a first-party client (native, SPA, traditional web app or confidential)")
		case errors.Is(err, adminapi.ErrCreateSessionDisabled):
			r.skip("client ID exists", "createSession is disabled, so the client cannot be checked")
		default:
			r.fail("client ID exists", fmt.Sprint(err), "check the client ID")
		}
	}

	// 6: a login ID.
	var user *adminapi.User
	if f.loginID == "" {
		r.skip("login ID found", "no --login-id given")
	} else {
		user = f.checkLoginID(ctx, r, admin, f.loginIDKey, f.loginID, "login ID found")
	}

	// 7: a real session's access token: a JWT, from the public host.
	switch {
	case !f.probeSession:
		r.skip("session tokens verify", "pass --probe-session with --login-id to create one session and check its access token")
	case user == nil || ag == nil || f.clientID == "":
		r.skip("session tokens verify", "needs a working endpoint, --client-id and a found --login-id")
	default:
		s, err := admin.CreateSession(ctx, user.NodeID, f.clientID, map[string]any{"agmigrate": map[string]any{"doctor": true}})
		if err != nil {
			r.fail("session tokens verify", err.Error(), "fix the checks above first")
			break
		}
		_, err = ag.Verify(ctx, s.AccessToken)
		switch {
		case strings.Count(s.AccessToken, ".") != 2:
			r.fail("session tokens verify", "the client issues opaque access tokens",
				"turn on \"Issue JWT as access token\" for the client (or set verifier.AuthgearConfig.OpaqueTokens, slower)")
		case errors.Is(err, verifier.ErrIssuer), errors.Is(err, verifier.ErrAudience):
			r.fail("session tokens verify", "the token's iss/aud is not "+f.endpoint+": the Admin API was reached under another host",
				"reach the Admin API through the public origin, or set --admin-url / AUTHGEAR_ADMIN_URL so requests carry the public Host; with a proxy, forward the Host header")
		case err != nil:
			r.fail("session tokens verify", err.Error(), "check the JWKS and the client settings")
		default:
			r.ok("session tokens verify", "JWT access token, iss/aud = "+f.endpoint+" (one session was created for "+f.loginID+")")
		}
	}

	// 8: the token endpoint, which rate-limits by client IP.
	if ag != nil {
		f.checkTokenEndpoint(ctx, r)
	}

	// 9: a sample legacy token.
	f.checkLegacy(ctx, r, admin)
}

const adminBudgetFix = "Authgear limits Admin API calls for this project: set Config.AdminBudget (per minute, shared across replicas through redisstore) " +
	"below the limit your plan gives, and run doctor again once the limit has reset"

// rateLimited: Authgear refused a call over its limit (HTTP 429, or the
// GraphQL error TooManyRequest / RateLimited).
func rateLimited(err error) bool {
	var he *adminapi.HTTPError
	if errors.As(err, &he) && he.StatusCode == http.StatusTooManyRequests {
		return true
	}
	var ge *adminapi.GraphQLError
	return errors.As(err, &ge) && (ge.ErrorName == "TooManyRequest" || ge.Reason == "RateLimited")
}

// checkTokenEndpoint refreshes with a refresh token that cannot exist: an
// Authgear that is not rate limiting this machine answers 400
// invalid_grant (or invalid_client); 429 means the refreshes the
// middleware makes from this IP are over Authgear's per-IP bucket.
func (f *doctorFlags) checkTokenEndpoint(ctx context.Context, r *report) {
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {orDash(f.clientID)},
		"refresh_token": {randomUUID() + ".agmigrate-doctor-probe"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(f.endpoint, "/")+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		r.fail("token endpoint not rate limiting", err.Error(), "check --endpoint")
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.fail("token endpoint not rate limiting", "the token endpoint did not answer", "check that this machine reaches "+f.endpoint)
		return
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		r.fail("token endpoint not rate limiting", "Authgear answered 429 x_rate_limited to this machine",
			"Authgear allows 120 token requests a minute per client IP: forward each user's IP with their refresh (Config.ClientIP; Authgear behind a trusted proxy, TRUST_PROXY=true) and set Config.TokenBudget")
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized:
		r.ok("token endpoint not rate limiting", "")
	default:
		r.fail("token endpoint not rate limiting", fmt.Sprintf("HTTP %d to a refresh", resp.StatusCode), "check --endpoint: the token endpoint is /oauth2/token on the public origin")
	}
}

func (f *doctorFlags) checkLoginID(ctx context.Context, r *report, admin *adminapi.Client, key, value, name string) *adminapi.User {
	u, err := admin.GetUserByLoginID(ctx, key, value)
	switch {
	case errors.Is(err, adminapi.ErrUserNotFound):
		r.fail(name, value+" is not in Authgear", "import the users first: agmigrate import")
	case errors.Is(err, adminapi.ErrInvalidLoginID):
		r.fail(name, "Authgear refused the login ID key "+key+" or its value", "configure "+key+" as a login ID in the portal (Authentication > Login Methods), and pass the value in the form Authgear expects (phone numbers in E.164)")
	case err != nil:
		r.fail(name, err.Error(), "check the checks above")
	case u.IsDisabled || u.IsDeactivated:
		r.fail(name, value+" is disabled or deactivated in Authgear", "re-enable the user, or expect agmigrate to refuse them")
		return nil
	default:
		r.ok(name, value+" → "+u.ID)
		return u
	}
	return nil
}

func (f *doctorFlags) checkLegacy(ctx context.Context, r *report, admin *adminapi.Client) {
	if f.legacyTokenFile == "" {
		r.skip("legacy token accepted", "no --legacy-token-file given")
		return
	}
	tok, err := readSecret(f.legacyTokenFile)
	if err != nil {
		r.fail("legacy token accepted", err.Error(), "give a readable file holding the token, or - and the token on standard input")
		return
	}
	cfg := verifier.JWTConfig{Issuer: f.legacyIssuer, JWKSURL: f.legacyJWKS,
		LoginID: verifier.LoginID{Key: f.loginIDKey, Claim: f.legacyClaim}}
	if f.legacyAudience != "" {
		cfg.Audience = []string{f.legacyAudience}
	}
	if f.legacySecret != "" {
		if !f.allowReadableKey {
			if err := checkKeyFile(f.legacySecret); err != nil {
				r.fail("legacy token accepted", "HS256 secret: "+err.Error(), "whoever reads the secret can mint legacy sessions: chmod 600 "+f.legacySecret)
				return
			}
		}
		b, err := os.ReadFile(f.legacySecret)
		if err != nil {
			r.fail("legacy token accepted", err.Error(), "give a readable secret file")
			return
		}
		cfg.HMACSecret = []byte(strings.TrimSpace(string(b)))
	}
	v, err := verifier.NewJWT(ctx, cfg)
	if err != nil {
		r.fail("legacy token accepted", err.Error(), "give --legacy-issuer, --legacy-audience and one of --legacy-jwks-url, --legacy-hs256-secret-file")
		return
	}
	defer v.Close()
	id, err := v.VerifyLegacy(ctx, tok)
	if err != nil {
		r.fail("legacy token accepted", err.Error(), "check the legacy issuer, audience, keys and login ID claim against a fresh token")
		return
	}
	r.ok("legacy token accepted", "login ID "+id.LoginID)
	f.checkLoginID(ctx, r, admin, id.LoginIDKey, id.LoginID, "legacy user found in Authgear")
}

func adminPath(f *doctorFlags) string {
	if f.adminURL != "" {
		return f.adminURL + adminapi.GraphQLPath
	}
	return f.endpoint + adminapi.GraphQLPath
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// stdin is where "-" reads from; tests replace it.
var stdin io.Reader = os.Stdin

// maxSecretBytes bounds a token or secret read from a file or stdin.
const maxSecretBytes = 64 << 10

// readSecret reads a token from a file, or from standard input for "-",
// trimmed of surrounding white space. It never echoes what it read.
func readSecret(path string) (string, error) {
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSecretBytes+1))
	switch {
	case err != nil:
		return "", err
	case len(b) > maxSecretBytes:
		return "", fmt.Errorf("over %d bytes: not a token", maxSecretBytes)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", errors.New("empty: no token given")
	}
	return tok, nil
}

var errLegacyTokenFlag = errors.New("refused: a live token on the command line can be read by every user of this machine (ps, /proc) " +
	"and stays in the shell history; put it in a file readable only by you and pass --legacy-token-file FILE, or pipe it in with --legacy-token-file -")

// refuseTokenFlag reports whether args use the retired --legacy-token flag.
func refuseTokenFlag(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "legacy-token" {
			return true
		}
	}
	return false
}
