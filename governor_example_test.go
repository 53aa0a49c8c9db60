package agmigrate_test

import (
	"context"
	"fmt"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// On cut-over day: exchanges bounded and paced by a budget (kept across
// replicas when the Store is shared), queued users answered within two
// seconds, and background work taking its turn behind them.
func ExampleGovernor_Wait() {
	ctx := context.Background()
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	ag, _ := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	defer ag.Close()
	legacy, _ := verifier.NewJWT(ctx, verifier.HS256([]byte("a home-grown system's HMAC secret, 32+ bytes"), "https://legacy.example.com", "web"))

	mw, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"},
		// 90% of a 500-a-minute plan, a few seconds' burst.
		AdminBudget: agmigrate.Budget{PerMinute: 450, Burst: 20},
		QueueWait:   2 * time.Second,
		Replicas:    3,
	})
	if err != nil {
		panic(err)
	}
	// A revocation pass or password capture: behind every user's request.
	err = mw.Governor().Wait(ctx, agmigrate.CallAdminMutation, agmigrate.Background)
	fmt.Println(err, mw.Governor().Stats().Throttled)
	// Output: <nil> 0
}
