package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/examples/internal/agenv"
)

// The demo is part of the test suite: on a fresh clone with nothing
// configured it must walk through every step and succeed, and say that it
// uses the fake and why.
func TestDemoRuns(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, options{env: func(string) string { return "" }}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "FAIL") || !strings.Contains(out.String(), "Every step behaved as expected") {
		t.Fatal(out.String())
	}
	if !strings.Contains(out.String(), "Using a fake Authgear: no AUTHGEAR_* variable is set") {
		t.Errorf("the fallback to the fake is not explained:\n%s", out.String())
	}
}

// selfHosted starts a fake Authgear in the self-hosted shape: the public
// origin on one listener, the Admin API on another, and no Admin API on
// the public one (AdminOnlyOnAdminListener), so a demo that ignored
// AUTHGEAR_ADMIN_URL fails here as it failed on the real server.
func selfHosted(t *testing.T) (*authgeartest.Server, map[string]string) {
	t.Helper()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true, AdminListener: true, AdminOnlyOnAdminListener: true})
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	fake.AddUser(authgeartest.User{Email: "bob@example.com"})
	pemKey, kid := fake.AdminKeyPEM()
	keyFile := filepath.Join(t.TempDir(), "admin.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"AUTHGEAR_ENDPOINT": fake.URL, "AUTHGEAR_ADMIN_URL": fake.AdminURL(), "AUTHGEAR_PROJECT_ID": fake.ProjectID(),
		"AUTHGEAR_ADMIN_KEY_FILE": keyFile, "AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_CLIENT_ID": "test-client",
	}
	return fake, env
}

func TestDemoAgainstSelfHostedAuthgear(t *testing.T) {
	fake, env := selfHosted(t)
	var out bytes.Buffer
	err := run(context.Background(), &out, options{env: func(k string) string { return env[k] }})
	if err != nil || !strings.Contains(out.String(), "Every step behaved as expected") {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Using the real Authgear project at "+fake.URL+" (Admin API at "+fake.AdminURL()+")") {
		t.Errorf("output:\n%s", out.String())
	}
	if fake.Calls("createSession") < 2 || fake.SessionCount("") < 2 {
		t.Errorf("%d createSession calls, %d sessions: the demo did not use this Authgear", fake.Calls("createSession"), fake.SessionCount(""))
	}
}

// Without AUTHGEAR_ADMIN_URL a self-hosted Authgear answers the Admin API
// with 404: the demo fails at step 1 and the log says why.
func TestDemoWithoutAdminURLFailsLoudly(t *testing.T) {
	_, env := selfHosted(t)
	delete(env, "AUTHGEAR_ADMIN_URL")
	var out bytes.Buffer
	err := run(context.Background(), &out, options{env: func(k string) string { return env[k] }})
	if !errors.Is(err, errStep) {
		t.Fatalf("err = %v, want a failed step\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "exchange failed") || !strings.Contains(out.String(), "404") {
		t.Errorf("the failure is not logged:\n%s", out.String())
	}
}

// Some variables but not all: the demo stops and names the missing ones
// rather than fall back to the fake.
func TestDemoIncompleteSettings(t *testing.T) {
	env := map[string]string{"AUTHGEAR_ENDPOINT": "https://myapp.authgear.cloud"}
	var out bytes.Buffer
	err := run(context.Background(), &out, options{env: func(k string) string { return env[k] }})
	if !errors.Is(err, agenv.ErrIncomplete) || !strings.Contains(err.Error(), "AUTHGEAR_PROJECT_ID") {
		t.Fatalf("err = %v\n%s", err, out.String())
	}
}
