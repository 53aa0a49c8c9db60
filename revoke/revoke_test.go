package revoke_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/revoke"
)

// The promise: sessions the middleware created, refreshed since (so
// Authgear shows nothing that marks them), are all revoked, and every
// session the users made themselves stays.
func TestRevokeRefreshedMigratedSessions(t *testing.T) {
	w := newWorld(t, nil)
	if n := w.markedNow(t); n != 0 {
		t.Fatalf("%d sessions still show the User-Agent marker after the refresh", n)
	}
	w.check(t, 4)
	// What the User-Agent marker alone finds now: none of them.
	if rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Marker: true, DryRun: true}); err != nil || rep.Marked != 0 || rep.Unmarked != 8 {
		t.Fatalf("marker only: %+v, %v", rep, err)
	}
	var found []revoke.Found
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, PageSize: 3,
		OnSession: func(f revoke.Found) { found = append(found, f) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ledger != 4 || rep.Revoked != 4 || rep.AlreadyGone != 0 || rep.FailedCount != 0 || rep.Cursor == "" || len(found) != 4 {
		t.Errorf("report %+v, %d found", rep, len(found))
	}
	for _, f := range found {
		if f.Source != revoke.FromLedger || !f.Revoked || f.ClientID != "test-client" {
			t.Errorf("found %+v", f)
		}
	}
	w.check(t, 0)
	// Again, from the cursor: nothing new. From the start: all ended.
	if rep, err = revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, After: rep.Cursor}); err != nil || rep.Ledger != 0 {
		t.Errorf("resumed after the end: %+v, %v", rep, err)
	}
	if rep, err = revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store}); err != nil || rep.AlreadyGone != 4 || rep.Revoked != 0 {
		t.Errorf("second pass: %+v, %v", rep, err)
	}
	w.check(t, 0)
}

func TestDryRunChangesNothing(t *testing.T) {
	w := newWorld(t, nil)
	gone := w.exchange(t, "d@example.com", true)
	w.fake.RevokeSession(gone) // the user signed out of it
	delete(w.migrated, gone)
	before := w.fake.AllCalls()
	var found []revoke.Found
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, DryRun: true, PageSize: 2,
		OnSession: func(f revoke.Found) { found = append(found, f) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ledger != 5 || rep.AlreadyGone != 1 || rep.Live() != 4 || rep.Revoked != 0 || len(found) != 5 {
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

// A session the ledger names that ended before the pass (revoked, user
// disabled) counts as already ended, not as a failure; a session Authgear
// still lists after the bare "unexpected error" is a failure.
func TestAlreadyEnded(t *testing.T) {
	w := newWorld(t, nil)
	a := w.exchange(t, "a@example.com", true)
	w.fake.RevokeSession(a)
	delete(w.migrated, a)
	if err := w.admin.SetDisabledStatus(ctx(t), adminapi.UserNodeID(w.users[2]), true, "left"); err != nil { // c: deletes its sessions
		t.Fatal(err)
	}
	w.logins--
	for id := range w.migrated {
		if _, ok := w.fake.Session(id); !ok {
			delete(w.migrated, id)
		}
	}
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store})
	if err != nil || rep.Ledger != 5 || rep.AlreadyGone != 2 || rep.Revoked != 3 || rep.FailedCount != 0 {
		t.Fatalf("report %+v, %v", rep, err)
	}
	w.check(t, 0)

	// The bare error while the session is still there.
	w2 := newWorld(t, nil)
	w2.fake.SetFault("revokeSession", authgeartest.Fault{GraphQLError: &authgeartest.GraphQLError{Message: "unexpected error"}, Times: 1})
	rep, err = revoke.Migrated(ctx(t), revoke.Config{Admin: w2.admin, Ledger: w2.store})
	if err != nil || rep.FailedCount != 1 || rep.Revoked != 3 || rep.AlreadyGone != 0 || !errors.Is(rep.Failed[0].Err, adminapi.ErrSessionNotFound) {
		t.Fatalf("bare error, session still listed: %+v, %v", rep, err)
	}
	w2.check(t, 1)
}

// failingAdmin fails revokeSession for chosen sessions.
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

// A failure midway keeps the cursor before it, the pass goes on with the
// rest, and a run from the saved cursor finishes the job.
func TestResumeAfterFailure(t *testing.T) {
	w := newWorld(t, nil)
	all := ledger(t, w.store)
	fa := &failingAdmin{Admin: w.admin, failOn: map[string]bool{all[1].NodeID(): true}}
	var saved []string
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: fa, Ledger: w.store, PageSize: 1,
		Checkpoint: func(_ context.Context, c string) error { saved = append(saved, c); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.FailedCount != 1 || rep.Revoked != 3 || rep.Failed[0].SessionID != all[1].NodeID() {
		t.Fatalf("report %+v", rep)
	}
	if want := "ledger:" + agmigrate.LedgerCursor(all[0]); rep.Cursor != want || len(saved) == 0 || saved[len(saved)-1] != want {
		t.Errorf("cursor %q, checkpoints %v; want %q", rep.Cursor, saved, want)
	}
	w.check(t, 1)
	fa.failOn = map[string]bool{}
	rep, err = revoke.Migrated(ctx(t), revoke.Config{Admin: fa, Ledger: w.store, After: rep.Cursor})
	if err != nil || rep.Ledger != 3 || rep.Revoked != 1 || rep.AlreadyGone != 2 || rep.FailedCount != 0 {
		t.Errorf("resumed %+v, %v", rep, err)
	}
	w.check(t, 0)
	// A cancelled pass stops with ErrStopped and a cursor.
	c, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := revoke.Migrated(c, revoke.Config{Admin: w.admin, Ledger: w.store}); !errors.Is(err, revoke.ErrStopped) {
		t.Errorf("cancelled: %v", err)
	}
}

func ledger(t *testing.T, l revoke.Ledger) []agmigrate.CreatedSession {
	t.Helper()
	out, err := l.CreatedSessions(ctx(t), agmigrate.CreatedSession{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSinceAndClient(t *testing.T) {
	w := newWorld(t, nil)
	all := ledger(t, w.store)
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, DryRun: true, Since: time.Now().Add(time.Hour)})
	if err != nil || rep.Ledger != 0 {
		t.Errorf("since the future: %+v, %v", rep, err)
	}
	rep, err = revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, Since: all[2].CreatedAt})
	if err != nil || rep.Ledger < 2 || rep.Revoked != rep.Ledger {
		t.Errorf("since the third: %+v, %v", rep, err)
	}
	w.check(t, 4-rep.Revoked)
	rep, err = revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, ClientID: "other-client"})
	if err != nil || rep.Ledger != 0 {
		t.Errorf("other client: %+v, %v", rep, err)
	}
}

// Sessions from before the ledger, not refreshed since, are found by the
// User-Agent marker (counted apart); sessions the ledger names are not
// counted twice; refreshed ones from before the ledger are out of reach.
func TestMarkerFindsSessionsFromBeforeTheLedger(t *testing.T) {
	w := newWorld(t, nil)
	w.preLedger(t, w.users[3])
	w.preLedger(t, w.users[0])
	_, rt := w.preLedger(t, w.users[1])
	refreshWithUA(t, w.fake.URL, rt, safari)
	var sources = map[revoke.Source]int{}
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, Marker: true, PageSize: 2,
		OnSession: func(f revoke.Found) { sources[f.Source]++ }})
	if err != nil {
		t.Fatal(err)
	}
	// Unmarked: the users' 4 own refresh-token sessions and the refreshed
	// one from before the ledger.
	if rep.Ledger != 4 || rep.Marked != 2 || rep.Revoked != 6 || rep.Unmarked != 5 || rep.Users != 4 || sources[revoke.FromMarker] != 2 {
		t.Errorf("report %+v, sources %v", rep, sources)
	}
	w.check(t, 1)
	if _, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin}); !errors.Is(err, revoke.ErrInvalidConfig) {
		t.Errorf("neither ledger nor marker: %v", err)
	}
	if _, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, After: "marker:x"}); !errors.Is(err, revoke.ErrInvalidConfig) {
		t.Errorf("a walk's cursor without the walk: %v", err)
	}
}

// Revocations take their calls from the middleware's governor, and an
// Authgear 429 pauses its budget and is tried again.
func TestThroughTheGovernor(t *testing.T) {
	w := newWorld(t, func(c *agmigrate.Config) {
		c.AdminBudget = agmigrate.Budget{PerMinute: 60000, Burst: 1}
		c.RateLimitBackOff = 10 * time.Millisecond
	})
	w.fake.SetFault("revokeSession", authgeartest.Fault{Status: 429, Times: 2})
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, Governor: w.mw.Governor()})
	if err != nil || rep.Revoked != 4 || rep.RateLimited != 2 || rep.FailedCount != 0 {
		t.Fatalf("report %+v, %v", rep, err)
	}
	if st := w.mw.Governor().Stats(); st.RateLimited != 2 {
		t.Errorf("governor stats %+v: the 429s did not pause its budget", st)
	}
	w.check(t, 0)
}
