package revoke_test

import (
	"testing"

	"github.com/agmigrate/agmigrate/revoke"
)

// The whole undo, as an operator runs it: a dry run says what would go,
// the pass revokes it through the middleware's governor, and the users
// keep their own sign-ins at Authgear.
func TestUndoCutOver(t *testing.T) {
	w := newWorld(t, nil)
	w.check(t, 4)
	dry, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, DryRun: true})
	if err != nil || dry.Live() != 4 {
		t.Fatalf("dry run %+v, %v", dry, err)
	}
	rep, err := revoke.Migrated(ctx(t), revoke.Config{Admin: w.admin, Ledger: w.store, Governor: w.mw.Governor()})
	if err != nil || rep.Revoked != 4 {
		t.Fatalf("report %+v, %v", rep, err)
	}
	w.check(t, 0)
	for _, id := range w.users {
		if len(w.fake.LoginSessions(id)) != 1 {
			t.Errorf("user %s lost their own sign-in at Authgear", id)
		}
	}
}
