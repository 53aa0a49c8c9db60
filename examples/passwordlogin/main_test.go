package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
)

// The sample sidecar's users and their legacy passwords (published test
// vectors; see testdata/passwords/README.md).
const (
	firebaseUser = "user1@test.com"
	firebasePW   = "user1password"
	wpUser       = "wp@example.com"
	wpPW         = "test12345"
	djangoUser   = "django@example.com"
	djangoPW     = "lètmein" // 7 characters: below Authgear's default policy
)

// start runs the example against a fake Authgear holding the sidecar's
// users, imported without a password, configured from the environment as
// a user would.
func start(t *testing.T) (http.Handler, *authgeartest.Server, *bytes.Buffer) {
	t.Helper()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	for _, u := range []string{firebaseUser, wpUser, djangoUser} {
		fake.AddUser(authgeartest.User{Email: u})
	}
	pemKey, kid := fake.AdminKeyPEM()
	keyFile := filepath.Join(t.TempDir(), "admin.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"AUTHGEAR_ENDPOINT": fake.URL, "AUTHGEAR_PROJECT_ID": fake.ProjectID(), "AUTHGEAR_ADMIN_KEY_FILE": keyFile,
		"AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_CLIENT_ID": "test-client",
		"SIDECAR_FILE": "../../testdata/passwords/sidecar.jsonl",
	}
	logs := &bytes.Buffer{}
	h, closeAll, err := newHandler(context.Background(), settings{env: func(k string) string { return env[k] }, log: logs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeAll)
	return h, fake, logs
}

func loginAs(h http.Handler, email, password string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestPasswordCaptureExampleLogin(t *testing.T) {
	h, fake, logs := start(t)

	// A wrong password and an unknown email: the same answer, nothing set.
	for _, c := range [][2]string{{wpUser, "not-the-password"}, {"nobody@example.com", wpPW}} {
		if rec := loginAs(h, c[0], c[1]); rec.Code != http.StatusUnauthorized || len(rec.Result().Cookies()) != 0 {
			t.Fatalf("%s: %d %s", c[0], rec.Code, rec.Body)
		}
	}
	if n := fake.Calls("resetPassword"); n != 0 {
		t.Fatalf("%d resetPassword calls for refused logins", n)
	}

	// The right password of an account whose address the export says was
	// never confirmed (Firebase scrypt): nothing set, no session.
	if rec := loginAs(h, firebaseUser, firebasePW); rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
		t.Errorf("unconfirmed address: %d %s", rec.Code, rec.Body)
	}
	if fake.CheckPassword(firebaseUser, firebasePW) {
		t.Error("the password of an unconfirmed address was set")
	}

	// Right passwords (phpass; the email typed in another case): checked
	// against the sidecar, captured, signed in.
	for _, c := range [][2]string{{"WP@example.com", wpPW}} {
		rec := loginAs(h, c[0], c[1])
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", c[0], rec.Code, rec.Body)
		}
		if !fake.CheckPassword(strings.ToLower(c[0]), c[1]) {
			t.Errorf("%s: Authgear does not take the legacy password", c[0])
		}
		// The Authgear session works on the app's pages.
		r := httptest.NewRequest("GET", "/", nil)
		for _, ck := range rec.Result().Cookies() {
			r.AddCookie(ck)
		}
		page := httptest.NewRecorder()
		h.ServeHTTP(page, r)
		var who map[string]string
		_ = json.Unmarshal(page.Body.Bytes(), &who)
		if who["source"] != "authgear" || who["user"] == "" {
			t.Errorf("%s: the page saw %v", c[0], who)
		}
	}

	// Below the policy: told so, nothing set, no session.
	rec := loginAs(h, djangoUser, djangoPW)
	if rec.Code != http.StatusForbidden || len(rec.Result().Cookies()) != 0 {
		t.Errorf("weak password: %d %s", rec.Code, rec.Body)
	}
	if fake.CheckPassword(djangoUser, djangoPW) {
		t.Error("the weak password was set")
	}
	if n := fake.Calls("resetPassword"); n != 2 { // one set, one refused by the policy
		t.Errorf("%d resetPassword calls", n)
	}
	for _, pw := range []string{wpPW, firebasePW, djangoPW} {
		if strings.Contains(logs.String(), pw) {
			t.Errorf("a password is in the logs:\n%s", logs)
		}
	}
}
