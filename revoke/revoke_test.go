package revoke_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/revoke"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// world: a fake with users holding migrated sessions (created through the
// Admin API client, as agmigrate does) and sessions of their own (created
// by signing in, with a browser's User-Agent).
type world struct {
	fake     *authgeartest.Server
	admin    *adminapi.Client
	users    []string
	migrated map[string]bool // session uuid → created by agmigrate
}

const safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"

func newWorld(t *testing.T) *world {
	t.Helper()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	w := &world{fake: fake, admin: fake.AdminClient(), migrated: map[string]bool{}}
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
		id := fake.AddUser(authgeartest.User{Email: email, CreatedAt: time.Now().Add(time.Duration(i-10) * time.Minute)})
		w.users = append(w.users, id)
		// The user's own sign-in, e.g. through the Authgear SDK.
		own, err := fake.CreateSession(id, "test-client", map[string]any{"ios": map[string]any{"uname": map[string]any{"machine": "iPhone15,2"}}})
		if err != nil {
			t.Fatal(err)
		}
		w.migrated[own.SessionID] = false
		if i == 3 {
			continue // d has only its own session
		}
		for range 1 + i%2 {
			s, err := w.admin.CreateSession(ctx(t), adminapi.UserNodeID(id), "test-client", adminapi.MarkDeviceInfo(adminapi.DeviceInfo{"agmigrate": map[string]any{"user_agent": safari}}))
			if err != nil {
				t.Fatal(err)
			}
			sid, _ := adminapi.SessionNodeIDFromRefreshToken(s.RefreshToken)
			_, uuid, _ := adminapi.ParseNodeID(sid)
			w.migrated[uuid] = true
		}
	}
	return w
}

// marked counts the sessions the fake holds with agmigrate's device-info
// marker, and checks every other session is still there.
func (w *world) check(t *testing.T, wantMarked int) {
	t.Helper()
	marked, others := 0, 0
	for _, s := range w.fake.Sessions("") {
		if adminapi.HasDeviceInfoMarker(s.DeviceInfo) {
			marked++
		} else {
			others++
		}
		if adminapi.HasDeviceInfoMarker(s.DeviceInfo) != w.migrated[s.ID] {
			t.Errorf("session %s: marker %v, created by agmigrate %v", s.ID, adminapi.HasDeviceInfoMarker(s.DeviceInfo), w.migrated[s.ID])
		}
	}
	own := 0
	for _, m := range w.migrated {
		if !m {
			own++
		}
	}
	if marked != wantMarked || others != own {
		t.Errorf("%d marked sessions (want %d), %d others (want all %d kept)", marked, wantMarked, others, own)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	w := newWorld(t)
	before := w.fake.AllCalls()
	var found []revoke.Found
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, DryRun: true, PageSize: 2, OnSession: func(f revoke.Found) { found = append(found, f) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Users != 4 || rep.Marked != 4 || rep.Revoked != 0 || rep.Unmarked != 4 || len(found) != 4 {
		t.Errorf("report %+v, %d found", rep, len(found))
	}
	for _, f := range found {
		if f.Revoked {
			t.Error("a dry run revoked")
		}
	}
	w.check(t, 4)
	if n := w.fake.Calls("revokeSession") - before["revokeSession"]; n != 0 {
		t.Errorf("%d revokeSession calls in a dry run", n)
	}
}

func TestRevokeMigratedOnly(t *testing.T) {
	w := newWorld(t)
	var waits int
	var mu sync.Mutex
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, PageSize: 3, Wait: func(context.Context) error {
		mu.Lock()
		waits++
		mu.Unlock()
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Marked != 4 || rep.Revoked != 4 || rep.FailedCount != 0 || rep.Unmarked != 4 || rep.Cursor == "" {
		t.Errorf("report %+v", rep)
	}
	w.check(t, 0)
	if waits != 4 {
		t.Errorf("budget consulted %d times, want once per revocation", waits)
	}
	// A second pass finds nothing left.
	if rep, err = revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin}); err != nil || rep.Marked != 0 {
		t.Errorf("second pass %+v, %v", rep, err)
	}
}

// A refresh replaces the session's User-Agent and device info (as the real
// server does): that session no longer carries the marker and is left.
func TestRefreshedSessionLosesTheMarker(t *testing.T) {
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	id := fake.AddUser(authgeartest.User{Email: "a@example.com"})
	admin := fake.AdminClient()
	s, err := admin.CreateSession(ctx(t), adminapi.UserNodeID(id), "test-client", adminapi.MarkDeviceInfo(nil))
	if err != nil {
		t.Fatal(err)
	}
	ss, _ := admin.ListSessions(ctx(t), adminapi.UserNodeID(id))
	if len(ss) != 1 || !revoke.IsMigrated(ss[0], "") {
		t.Fatalf("fresh session %+v", ss)
	}
	refreshWithUA(t, fake.URL, s.RefreshToken, safari)
	ss, _ = admin.ListSessions(ctx(t), adminapi.UserNodeID(id))
	if len(ss) != 1 || revoke.IsMigrated(ss[0], "") {
		t.Fatalf("refreshed session %+v still reads as marked", ss)
	}
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: admin})
	if err != nil || rep.Marked != 0 || rep.Unmarked != 1 || fake.SessionCount(id) != 1 {
		t.Errorf("report %+v, %v, %d sessions", rep, err, fake.SessionCount(id))
	}
}

func TestSinceAndClient(t *testing.T) {
	w := newWorld(t)
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, DryRun: true, Since: time.Now().Add(time.Hour)})
	if err != nil || rep.Marked != 0 {
		t.Errorf("since the future: %+v, %v", rep, err)
	}
	rep, err = revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, DryRun: true, ClientID: "other-client"})
	if err != nil || rep.Marked != 0 || rep.Unmarked != 0 {
		t.Errorf("other client: %+v, %v", rep, err)
	}
}

// failingAdmin fails revokeSession for one session, then works.
type failingAdmin struct {
	revoke.Admin
	mu     sync.Mutex
	failOn map[string]bool
}

func (f *failingAdmin) RevokeSession(ctx context.Context, id string) error {
	f.mu.Lock()
	fail := f.failOn[id]
	f.mu.Unlock()
	if fail {
		return errors.New("adminapi: HTTP 503")
	}
	return f.Admin.RevokeSession(ctx, id)
}

func TestFailureKeepsCursorAndResumes(t *testing.T) {
	w := newWorld(t)
	// Fail the migrated session of the second user (b).
	ss, _ := w.admin.ListSessions(ctx(t), adminapi.UserNodeID(w.users[1]))
	fa := &failingAdmin{Admin: w.admin, failOn: map[string]bool{}}
	for _, s := range ss {
		if revoke.IsMigrated(s, "") {
			fa.failOn[s.NodeID] = true
		}
	}
	var saved []string
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: fa, PageSize: 1, Checkpoint: func(_ context.Context, c string) error { saved = append(saved, c); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.FailedCount != 2 || rep.Revoked != 2 || len(rep.Failed) != 2 || rep.Failed[0].UserID != w.users[1] {
		t.Fatalf("report %+v", rep)
	}
	all, _ := w.admin.ListUsers(ctx(t), adminapi.ListUsersOptions{})
	if rep.Cursor != all.Users[0].Cursor || len(saved) == 0 {
		t.Errorf("cursor %q, want the one after user a (%q); checkpoints %v", rep.Cursor, all.Users[0].Cursor, saved)
	}
	// Resumed from the cursor once the failure is gone.
	fa.failOn = map[string]bool{}
	rep, err = revoke.Migrated(ctx(t), revoke.Config{Admin: fa, After: rep.Cursor})
	if err != nil || rep.Revoked != 2 || rep.FailedCount != 0 {
		t.Errorf("resumed %+v, %v", rep, err)
	}
	w.check(t, 0)
}

func TestBadConfig(t *testing.T) {
	if _, err := revoke.Migrated(ctx(t), revoke.Config{}); !errors.Is(err, revoke.ErrInvalidConfig) {
		t.Errorf("err = %v", err)
	}
}
