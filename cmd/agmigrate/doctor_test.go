package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
)

// setup is a fake Authgear and the environment that points at it.
func setup(t *testing.T, opts authgeartest.Options) (*authgeartest.Server, map[string]string) {
	t.Helper()
	fake := authgeartest.New(t, opts)
	pemKey, kid := fake.AdminKeyPEM()
	keyFile := filepath.Join(t.TempDir(), "admin.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	return fake, map[string]string{
		"AUTHGEAR_ENDPOINT": fake.URL, "AUTHGEAR_PROJECT_ID": fake.ProjectID(), "AUTHGEAR_ADMIN_KEY_FILE": keyFile,
		"AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_CLIENT_ID": "test-client",
	}
}

func runCmd(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return code, out.String() + errOut.String()
}

func TestDoctorAllGood(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	code, out := runCmd(t, env, "doctor", "--login-id", "alice@example.com", "--probe-session")
	if code != 0 || strings.Contains(out, "FAIL") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, want := range []string{"ok    endpoint answers", "ok    admin key accepted", "ok    createSession enabled",
		"ok    client ID exists", "ok    login ID found", "ok    session tokens verify"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// Only the probe created a session; the checks themselves create none.
	if n := fake.SessionCount(alice); n != 1 || fake.SessionCount("") != 1 {
		t.Errorf("%d sessions for alice, %d in all; want 1 (the probe)", n, fake.SessionCount(""))
	}
}

// Each wrong setup gets its own failing line and fix, and exit status 1.
func TestDoctorFindsEachProblem(t *testing.T) {
	type tc struct {
		name  string
		opts  authgeartest.Options
		env   func(fake *authgeartest.Server, env map[string]string)
		args  []string
		fail  string // the failing check
		fixes string // a phrase of its fix
	}
	cases := []tc{
		{name: "unreachable endpoint", env: func(_ *authgeartest.Server, e map[string]string) { e["AUTHGEAR_ENDPOINT"] = "http://127.0.0.1:1" },
			fail: "FAIL  endpoint", fixes: "reach it"},
		{name: "endpoint with a path", env: func(f *authgeartest.Server, e map[string]string) { e["AUTHGEAR_ENDPOINT"] = f.URL + "/oauth2" },
			fail: "FAIL  endpoint", fixes: "public origin"},
		{name: "wrong project ID", env: func(_ *authgeartest.Server, e map[string]string) { e["AUTHGEAR_PROJECT_ID"] = "otherapp" },
			fail: "FAIL  admin key accepted", fixes: "--project-id"},
		{name: "wrong key ID", env: func(_ *authgeartest.Server, e map[string]string) { e["AUTHGEAR_ADMIN_KEY_ID"] = "not-the-kid" },
			fail: "FAIL  admin key accepted", fixes: "--admin-key-id"},
		{name: "createSession disabled", opts: authgeartest.Options{},
			fail: "FAIL  createSession enabled", fixes: "authgear.features.yaml"},
		{name: "unknown client", env: func(_ *authgeartest.Server, e map[string]string) { e["AUTHGEAR_CLIENT_ID"] = "nope" },
			fail: "FAIL  client ID exists", fixes: "Applications"},
		{name: "third-party client", opts: authgeartest.Options{Clients: []authgeartest.Client{{ID: "test-client", ThirdParty: true}}},
			fail: "FAIL  client ID exists", fixes: "first-party"},
		{name: "login ID missing", args: []string{"--login-id", "nobody@example.com"},
			fail: "FAIL  login ID found", fixes: "agmigrate import"},
		{name: "login ID key not configured", opts: authgeartest.Options{LoginIDKeys: []string{"email"}}, args: []string{"--login-id", "+85291234567", "--login-id-key", "phone"},
			fail: "FAIL  login ID found", fixes: "Login Methods"},
		{name: "opaque access tokens", opts: authgeartest.Options{Clients: []authgeartest.Client{{ID: "test-client", OpaqueAccessTokens: true}}},
			args: []string{"--login-id", "alice@example.com", "--probe-session"}, fail: "FAIL  session tokens verify", fixes: "Issue JWT as access token"},
		{name: "admin API behind a proxy that drops the Host", opts: authgeartest.Options{AdminListener: true},
			env: func(f *authgeartest.Server, e map[string]string) {
				u, _ := url.Parse(f.AdminURL())
				proxy := httputil.NewSingleHostReverseProxy(u)
				naive := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					r.Host = u.Host // a proxy that sets Host to its upstream
					proxy.ServeHTTP(w, r)
				}))
				e["AUTHGEAR_ADMIN_URL"] = naive.URL
			},
			args: []string{"--login-id", "alice@example.com", "--probe-session"}, fail: "FAIL  session tokens verify", fixes: "Host"},
		{name: "legacy token rejected", args: []string{"--legacy-token-file", "-", "--legacy-issuer", "i", "--legacy-audience", "a", "--legacy-jwks-url", "http://127.0.0.1:1/jwks"},
			fail: "FAIL  legacy token accepted", fixes: "--legacy"},
		{name: "Admin API not on the public origin (self-hosted)", env: func(f *authgeartest.Server, _ map[string]string) {
			f.SetFault("graphql", authgeartest.Fault{Status: 404})
		}, fail: "FAIL  Admin API reachable", fixes: "--admin-url"},
		{name: "admin URL that is not the admin listener", env: func(_ *authgeartest.Server, e map[string]string) {
			nf := httptest.NewServer(http.NotFoundHandler())
			e["AUTHGEAR_ADMIN_URL"] = nf.URL
		}, fail: "FAIL  Admin API reachable", fixes: "port 3002"},
		{name: "world-readable admin key", env: func(_ *authgeartest.Server, e map[string]string) {
			if err := os.Chmod(e["AUTHGEAR_ADMIN_KEY_FILE"], 0o644); err != nil {
				panic(err)
			}
		}, fail: "FAIL  admin key", fixes: "chmod 600"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := c.opts
			if c.name != "createSession disabled" {
				opts.EnableCreateSession = true
			}
			fake, env := setup(t, opts)
			fake.AddUser(authgeartest.User{Email: "alice@example.com"})
			if c.env != nil {
				c.env(fake, env)
			}
			stdin = strings.NewReader("not.a.token\n")
			defer func() { stdin = os.Stdin }()
			code, out := runCmd(t, env, append([]string{"doctor"}, c.args...)...)
			if code != 1 || !strings.Contains(out, c.fail) {
				t.Fatalf("exit %d, want 1 with %q:\n%s", code, c.fail, out)
			}
			i := strings.Index(out, c.fail)
			if !strings.Contains(out[i:], "fix:") || !strings.Contains(out[i:], c.fixes) {
				t.Errorf("no fix mentioning %q after %q:\n%s", c.fixes, c.fail, out)
			}
		})
	}
}

func TestDoctorLegacyToken(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{EnableCreateSession: true})
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	secretFile := filepath.Join(t.TempDir(), "secret")
	secret := "doctor legacy secret, 32 bytes or more"
	_ = os.WriteFile(secretFile, []byte(secret+"\n"), 0o600)
	tok := hs256(secret, `{"iss":"https://legacy.example.com","aud":"web","email":"alice@example.com","email_verified":true,"exp":99999999999}`)
	tokFile := filepath.Join(t.TempDir(), "token")
	_ = os.WriteFile(tokFile, []byte(tok+"\n"), 0o600)
	stdin = strings.NewReader(tok + "\n")
	defer func() { stdin = os.Stdin }()
	for _, from := range []string{tokFile, "-"} {
		code, out := runCmd(t, env, "doctor", "--legacy-token-file", from, "--legacy-hs256-secret-file", secretFile,
			"--legacy-issuer", "https://legacy.example.com", "--legacy-audience", "web")
		if code != 0 || !strings.Contains(out, "ok    legacy token accepted (login ID alice@example.com)") || !strings.Contains(out, "ok    legacy user found in Authgear") {
			t.Fatalf("--legacy-token-file %s: exit %d\n%s", from, code, out)
		}
	}
	// A secret file every user can read is refused.
	if err := os.Chmod(secretFile, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runCmd(t, env, "doctor", "--legacy-token-file", tokFile, "--legacy-hs256-secret-file", secretFile,
		"--legacy-issuer", "https://legacy.example.com", "--legacy-audience", "web")
	if code != 1 || !strings.Contains(out, "FAIL  legacy token accepted: HS256 secret") || !strings.Contains(out, "chmod 600") {
		t.Fatalf("readable secret: exit %d\n%s", code, out)
	}
	// The old flag refuses, says why, and never echoes the token.
	code, out = runCmd(t, env, "doctor", "--legacy-token", tok)
	if code != 2 || !strings.Contains(out, "--legacy-token-file") || !strings.Contains(out, "shell history") || strings.Contains(out, tok) {
		t.Fatalf("--legacy-token: exit %d\n%s", code, out)
	}
}

// A world-readable admin key file is refused by every command unless the
// operator says otherwise.
func TestReadableAdminKeyRefused(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{})
	if err := os.Chmod(env["AUTHGEAR_ADMIN_KEY_FILE"], 0o644); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "users.ndjson", `{"email":"a@example.com"}`+"\n")
	code, out := runCmd(t, env, "import", "--file", file, "--poll", "5ms")
	if code != 2 || !strings.Contains(out, "chmod 600") || fake.Calls("import.create") != 0 {
		t.Fatalf("exit %d, %d jobs\n%s", code, fake.Calls("import.create"), out)
	}
	if code, out := runCmd(t, env, "import", "--file", file, "--poll", "5ms", "--allow-readable-key-file"); code != 0 {
		t.Fatalf("with --allow-readable-key-file: exit %d\n%s", code, out)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"doctor", "--help"}, {"import", "--help"}} {
		code, out := runCmd(t, nil, args...)
		if code != 0 || !strings.Contains(out, "Usage") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
	if code, _ := runCmd(t, nil, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
}

// Authgear's rate limits show in doctor: the token endpoint's per-IP
// bucket spent by this machine, and an Admin API that limits mutations.
func TestDoctorReportsRateLimits(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{EnableCreateSession: true})
	// Spend this machine's token-endpoint bucket (120 a minute per IP).
	for range 121 {
		resp, err := http.PostForm(fake.URL+"/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"test-client"}, "refresh_token": {"x.y"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	code, out := runCmd(t, env, "doctor")
	if code == 0 || !strings.Contains(out, "FAIL  token endpoint not rate limiting") || !strings.Contains(out, "Config.ClientIP") {
		t.Errorf("spent token bucket: exit %d\n%s", code, out)
	}

	fake2, env2 := setup(t, authgeartest.Options{EnableCreateSession: true, AdminMutationsPerMinute: 1, AdminMutationBurst: 1})
	_, _ = fake2.AdminClient().CreateSession(context.Background(), "spend-the-bucket", "test-client", nil)
	code, out = runCmd(t, env2, "doctor")
	if code == 0 || !strings.Contains(out, "FAIL  Admin API not rate limiting") || !strings.Contains(out, "AdminBudget") {
		t.Errorf("Admin API limit: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "ok    admin key accepted") {
		t.Errorf("a rate limit must not read as a bad key:\n%s", out)
	}
}
