package revoke_test

import (
	"context"
	"fmt"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/revoke"
)

// Undoing a cut-over: the sessions the ledger names go, the user's own
// sign-in stays. Run with DryRun first to see what would go. In an app the
// ledger is the middleware's Store (a MemoryStore or redisstore), or a
// FileLedger fed by Config.OnSessionCreated.
func ExampleMigrated() {
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	_, _ = fake.CreateSession(alice, "test-client", nil) // her own sign-in
	admin := fake.AdminClient()
	ctx := context.Background()

	// What the exchange does: create the session, record it.
	ledger := agmigrate.NewMemoryStore(0)
	s, _ := admin.CreateSession(ctx, adminapi.UserNodeID(alice), "test-client", adminapi.MarkDeviceInfo(nil))
	node, _ := adminapi.SessionNodeIDFromRefreshToken(s.RefreshToken)
	_, id, _ := adminapi.ParseNodeID(node)
	_ = ledger.RecordSession(ctx, agmigrate.CreatedSession{SessionID: id, UserID: alice, ClientID: "test-client", CreatedAt: time.Now()})

	for _, dry := range []bool{true, false} {
		rep, err := revoke.Migrated(ctx, revoke.Config{Admin: admin, Ledger: ledger, DryRun: dry})
		if err != nil {
			panic(err)
		}
		fmt.Printf("dry run %v: in the ledger %d, live %d, revoked %d\n", dry, rep.Ledger, rep.Live(), rep.Revoked)
	}
	fmt.Println("sessions left:", fake.SessionCount(alice))
	// Output:
	// dry run true: in the ledger 1, live 1, revoked 0
	// dry run false: in the ledger 1, live 1, revoked 1
	// sessions left: 1
}
