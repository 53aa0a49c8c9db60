package agmigrate_test

import (
	"context"
	"errors"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// An attacker signs in at a legacy system that lets accounts with an
// unconfirmed address sign in, having registered there with the victim's
// address. The victim's Authgear account (no password yet) must not get
// the attacker's password, nor the attacker a session of it.
func TestPasswordCaptureUnverifiedLoginIDRefused(t *testing.T) {
	confirmed := map[string]bool{"owner@example.com": true}
	byLegacy := func(_ context.Context, key, id string) (bool, error) { return confirmed[id], nil }
	cases := []struct {
		name    string
		cfg     agmigrate.CaptureConfig
		key, id string
		wantSet bool
	}{
		{"unconfirmed address", agmigrate.CaptureConfig{Verified: byLegacy, Session: true}, "email", "victim@example.com", false},
		{"confirmed address", agmigrate.CaptureConfig{Verified: byLegacy}, "email", "owner@example.com", true},
		{"no Verified set", agmigrate.CaptureConfig{Verified: nil, UnsafeAllowUnverified: false}, "email", "victim@example.com", false},
		{"Verified failing", agmigrate.CaptureConfig{Verified: func(context.Context, string, string) (bool, error) {
			return true, errors.New("legacy database down")
		}}, "email", "victim@example.com", false},
		{"unsafe opt-out", agmigrate.CaptureConfig{UnsafeAllowUnverified: true}, "email", "victim@example.com", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, authgeartest.Options{})
			uid := w.fake.AddUser(authgeartest.User{Email: tc.id})
			c, err := agmigrate.NewCapturer(w.middleware(w.config()), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.CapturePassword(context.Background(), tc.key, tc.id, []byte(capturedPW))
			if got := w.fake.CheckPassword(tc.id, capturedPW); got != tc.wantSet {
				t.Fatalf("password set = %v, want %v (err %v)", got, tc.wantSet, err)
			}
			if tc.wantSet {
				return
			}
			if !errors.Is(err, agmigrate.ErrLoginIDUnverified) || !errors.Is(err, verifier.ErrEmailVerified) || res != nil {
				t.Errorf("res %+v, err %v; want ErrLoginIDUnverified", res, err)
			}
			if n := w.fake.Calls("resetPassword") + w.fake.Calls("getUserByLoginID") + w.fake.SessionCount(uid); n != 0 {
				t.Errorf("%d Admin API calls or sessions for a login ID the legacy system does not vouch for", n)
			}
		})
	}
}

// Usernames have nothing to confirm: they need no Verified.
func TestPasswordCaptureUsernameNeedsNoVerification(t *testing.T) {
	w := newWorld(t, authgeartest.Options{LoginIDKeys: []string{"username"}})
	w.fake.AddUser(authgeartest.User{Username: "carol"})
	c, err := agmigrate.NewCapturer(w.middleware(w.config()), agmigrate.CaptureConfig{LoginID: verifier.LoginID{Key: "username"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CapturePassword(context.Background(), "username", "carol", []byte(capturedPW)); err != nil {
		t.Fatal(err)
	}
	if !w.fake.CheckPassword("carol", capturedPW) {
		t.Error("the username's password was not set")
	}
}
