package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// sessionsWorld: three users, each with a session of their own (signed in
// at Authgear) and some created through the Admin API as agmigrate does.
func sessionsWorld(t *testing.T) (*authgeartest.Server, map[string]string, map[string]bool) {
	t.Helper()
	fake, env := setup(t, authgeartest.Options{EnableCreateSession: true})
	admin := fake.AdminClient()
	migrated := map[string]bool{}
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		id := fake.AddUser(authgeartest.User{Email: email})
		own, err := fake.CreateSession(id, "test-client", nil)
		if err != nil {
			t.Fatal(err)
		}
		migrated[own.SessionID] = false
		for range i {
			s, err := admin.CreateSession(context.Background(), adminapi.UserNodeID(id), "test-client", adminapi.MarkDeviceInfo(nil))
			if err != nil {
				t.Fatal(err)
			}
			migrated[strings.SplitN(s.RefreshToken, ".", 2)[0]] = true
		}
	}
	return fake, env, migrated
}

// checkSessions: the fake holds wantMarked sessions with agmigrate's
// marker, and every session of the users' own.
func checkSessions(t *testing.T, fake *authgeartest.Server, migrated map[string]bool, wantMarked int) {
	t.Helper()
	marked, own := 0, 0
	for _, s := range fake.Sessions("") {
		if !migrated[s.ID] && adminapi.HasDeviceInfoMarker(s.DeviceInfo) {
			t.Errorf("session %s is marked but was not created by agmigrate", s.ID)
		}
		if migrated[s.ID] {
			marked++
		} else {
			own++
		}
	}
	wantOwn := 0
	for _, m := range migrated {
		if !m {
			wantOwn++
		}
	}
	if marked != wantMarked || own != wantOwn {
		t.Errorf("%d migrated sessions left (want %d), %d own sessions (want %d)", marked, wantMarked, own, wantOwn)
	}
}

func TestSessionsRevokeMigrated(t *testing.T) {
	fake, env, migrated := sessionsWorld(t)
	dir := t.TempDir()
	state, report := filepath.Join(dir, "state.json"), filepath.Join(dir, "report.json")

	// list shows the three agmigrate sessions.
	code, out := runCmd(t, env, "sessions", "list")
	if code != 0 || strings.Count(out, "session U2Vzc2lvbj") != 3 || !strings.Contains(out, "3 created by agmigrate, 3 other refresh-token sessions left alone") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}

	// A dry run changes nothing and writes no state.
	code, out = runCmd(t, env, "sessions", "revoke", "--migrated", "--dry-run", "--state", state, "--report", report)
	if code != 0 || !strings.Contains(out, "would revoke 3") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	checkSessions(t, fake, migrated, 3)
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Error("a dry run wrote a state file")
	}
	if n := fake.Calls("revokeSession"); n != 0 {
		t.Errorf("%d revokeSession calls in a dry run", n)
	}

	// The real run: 0 sessions with the marker, every other one kept.
	code, out = runCmd(t, env, "sessions", "revoke", "--migrated", "--state", state, "--report", report, "--rate", "1000")
	if code != 0 || !strings.Contains(out, "revoked 3") {
		t.Fatalf("revoke: exit %d\n%s", code, out)
	}
	checkSessions(t, fake, migrated, 0)
	var rep sessionsReport
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &rep); err != nil || !rep.Complete || rep.Revoked != 3 || len(rep.Found) != 3 || rep.Unmarked != 3 {
		t.Errorf("report %+v, %v", rep, err)
	}
	// Finished: a second run says so and does nothing.
	if code, out = runCmd(t, env, "sessions", "revoke", "--migrated", "--state", state, "--report", report); code != 0 || !strings.Contains(out, "previous run finished") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
}

func TestSessionsUsage(t *testing.T) {
	_, env, _ := sessionsWorld(t)
	for _, args := range [][]string{
		{"sessions"},
		{"sessions", "revoke"},
		{"sessions", "revoke", "--migrated", "--since", "yesterday"},
		{"sessions", "revoke", "--migrated", "--rate", "0"},
	} {
		if code, out := runCmd(t, env, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, out)
		}
	}
	if code, _ := runCmd(t, env, "sessions", "list", "--since", "2026-11-28"); code != 0 {
		t.Errorf("--since date: exit %d", code)
	}
}

// A revocation that fails leaves the state before that user; the next run
// resumes there and finishes.
func TestSessionsRevokeResumes(t *testing.T) {
	fake, env, migrated := sessionsWorld(t)
	dir := t.TempDir()
	state, report := filepath.Join(dir, "state.json"), filepath.Join(dir, "report.json")
	fake.SetFault("revokeSession", authgeartest.Fault{Status: 503, Times: 1})
	code, out := runCmd(t, env, "sessions", "revoke", "--migrated", "--state", state, "--report", report, "--rate", "1000")
	if code != 1 || !strings.Contains(out, "FAILED") || !strings.Contains(out, "run again") {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	var st sessionsState
	b, _ := os.ReadFile(state)
	if err := json.Unmarshal(b, &st); err != nil || st.Done {
		t.Fatalf("state %+v, %v", st, err)
	}
	checkSessions(t, fake, migrated, 1)
	code, out = runCmd(t, env, "sessions", "revoke", "--migrated", "--state", state, "--report", report, "--rate", "1000")
	if code != 0 || !strings.Contains(out, "resuming") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	checkSessions(t, fake, migrated, 0)
}
