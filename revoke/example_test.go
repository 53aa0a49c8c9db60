package revoke_test

import (
	"context"
	"fmt"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/revoke"
)

// Undoing a cut-over: the sessions agmigrate created go, the user's own
// sign-in stays. Run with DryRun first to see what would go.
func ExampleMigrated() {
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	_, _ = fake.CreateSession(alice, "test-client", nil) // her own sign-in
	admin := fake.AdminClient()
	ctx := context.Background()
	_, _ = admin.CreateSession(ctx, adminapi.UserNodeID(alice), "test-client", adminapi.MarkDeviceInfo(nil)) // as the exchange does

	for _, dry := range []bool{true, false} {
		rep, err := revoke.Migrated(ctx, revoke.Config{Admin: admin, DryRun: dry})
		if err != nil {
			panic(err)
		}
		fmt.Printf("dry run %v: marked %d, revoked %d, left alone %d\n", dry, rep.Marked, rep.Revoked, rep.Unmarked)
	}
	fmt.Println("sessions left:", fake.SessionCount(alice))
	// Output:
	// dry run true: marked 1, revoked 0, left alone 1
	// dry run false: marked 1, revoked 1, left alone 1
	// sessions left: 1
}
