package adminapi_test

import (
	"errors"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// The user-management operations against the fake, end to end: the
// outcomes checked are the fake's own state (users, sessions, passwords).
func TestUserLifecycleOnFake(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	c := fake.AdminClient()

	// createUser: the password policy applies, nothing is created.
	_, err := c.CreateUser(ctx(t), "email", "new@example.com", "abc")
	if !errors.Is(err, adminapi.ErrPasswordPolicy) || len(adminapi.PasswordPolicyViolations(err)) == 0 {
		t.Fatalf("weak password: %v", err)
	}
	u, err := c.CreateUser(ctx(t), "email", "new@example.com", "A-Strong-Passw0rd!")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fake.User(u.ID); !ok || u.StandardAttributes["email"] != "new@example.com" || u.CreatedAt.IsZero() {
		t.Fatalf("created %+v", u)
	}
	if !fake.CheckPassword("new@example.com", "A-Strong-Passw0rd!") {
		t.Error("the fake does not hold the password")
	}
	if _, err := c.CreateUser(ctx(t), "email", "NEW@example.com", ""); !errors.Is(err, adminapi.ErrUserExists) {
		t.Errorf("duplicate: %v", err)
	}
	if has, err := c.HasPassword(ctx(t), u.NodeID); err != nil || !has {
		t.Errorf("HasPassword = %v, %v", has, err)
	}

	// A user without a password gets one from resetPassword.
	np, err := c.CreateUser(ctx(t), "email", "nopw@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if has, err := c.HasPassword(ctx(t), np.NodeID); err != nil || has {
		t.Errorf("no-password user: HasPassword = %v, %v", has, err)
	}
	if err := c.ResetPassword(ctx(t), np.NodeID, "abc"); !errors.Is(err, adminapi.ErrPasswordPolicy) {
		t.Errorf("weak reset: %v", err)
	}
	if err := c.ResetPassword(ctx(t), np.NodeID, "Another-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	if has, _ := c.HasPassword(ctx(t), np.NodeID); !has || !fake.CheckPassword("nopw@example.com", "Another-Passw0rd!") {
		t.Error("resetPassword did not set the password")
	}

	// Sessions: list, revoke one, revoke it again, revoke all (twice).
	var refresh []string
	for range 3 {
		s, err := c.CreateSession(ctx(t), u.NodeID, "test-client", nil)
		if err != nil {
			t.Fatal(err)
		}
		refresh = append(refresh, s.RefreshToken)
	}
	ss, err := c.ListSessions(ctx(t), u.NodeID)
	if err != nil || len(ss) != 3 {
		t.Fatalf("ListSessions = %d, %v", len(ss), err)
	}
	for _, s := range ss {
		if s.Type != adminapi.SessionTypeOfflineGrant || s.ClientID != "test-client" || s.CreatedAt.IsZero() {
			t.Errorf("session %+v", s)
		}
	}
	first, err := adminapi.SessionNodeIDFromRefreshToken(refresh[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeSession(ctx(t), first); err != nil {
		t.Fatal(err)
	}
	if fake.SessionCount(u.ID) != 2 {
		t.Errorf("%d sessions after revoking one", fake.SessionCount(u.ID))
	}
	if err := c.RevokeSession(ctx(t), first); !errors.Is(err, adminapi.ErrSessionNotFound) {
		t.Errorf("revoking a gone session: %v", err)
	}
	for range 2 {
		if err := c.RevokeAllSessions(ctx(t), u.NodeID); err != nil {
			t.Fatal(err)
		}
	}
	if fake.SessionCount(u.ID) != 0 {
		t.Errorf("%d sessions after revokeAllSessions", fake.SessionCount(u.ID))
	}

	// Disabling ends the sessions; a second disable is ErrStatusUnchanged.
	if _, err := c.CreateSession(ctx(t), u.NodeID, "test-client", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.SetDisabledStatus(ctx(t), u.NodeID, true, "migration test"); err != nil {
		t.Fatal(err)
	}
	if got, _ := fake.User(u.ID); !got.Disabled || fake.SessionCount(u.ID) != 0 {
		t.Errorf("after disable: disabled %v, %d sessions", got.Disabled, fake.SessionCount(u.ID))
	}
	err = c.SetDisabledStatus(ctx(t), u.NodeID, true, "again")
	if from, to, ok := adminapi.StatusTransition(err); !errors.Is(err, adminapi.ErrStatusUnchanged) || !ok || from != "disabled" || to != "disabled" {
		t.Errorf("second disable: %v (%s -> %s)", err, from, to)
	}
	if err := c.SetDisabledStatus(ctx(t), u.NodeID, false, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListSessions(ctx(t), adminapi.UserNodeID("00000000-0000-4000-8000-000000000000")); !errors.Is(err, adminapi.ErrUserNotFound) {
		t.Errorf("sessions of a missing user: %v", err)
	}
}

func TestListUsersByCreationTime(t *testing.T) {
	t.Parallel()
	// The fake checks admin JWTs (signed on the real clock) against its
	// clock, so the users' creation times are set around the real time.
	now := time.Now().UTC().Truncate(time.Second)
	fake := authgeartest.New(t, authgeartest.Options{})
	var ids []string
	for i := range 7 {
		ids = append(ids, fake.AddUser(authgeartest.User{Email: string(rune('a'+i)) + "@example.com", CreatedAt: now.Add(time.Duration(i) * time.Minute)}))
	}
	c := fake.AdminClient()
	var got []string
	after := ""
	pages := 0
	for {
		p, err := c.ListUsers(ctx(t), adminapi.ListUsersOptions{First: 3, After: after})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(p.Users) > 3 {
			t.Fatalf("first=3 answered %d users", len(p.Users))
		}
		for _, u := range p.Users {
			got = append(got, u.ID)
			if u.NodeID != adminapi.UserNodeID(u.ID) || u.Cursor == "" || u.StandardAttributes["email"] == nil {
				t.Errorf("user %+v", u)
			}
		}
		if !p.HasNextPage {
			break
		}
		after = p.EndCursor
	}
	if pages != 3 || len(got) != 7 {
		t.Fatalf("%d pages, %d users", pages, len(got))
	}
	for i := range ids {
		if got[i] != ids[i] {
			t.Fatalf("order %v, want %v", got, ids)
		}
	}
	p, err := c.ListUsers(ctx(t), adminapi.ListUsersOptions{First: 2, Newest: true})
	if err != nil || len(p.Users) != 2 || p.Users[0].ID != ids[6] || !p.HasNextPage {
		t.Errorf("newest first: %+v, %v", p, err)
	}
}
