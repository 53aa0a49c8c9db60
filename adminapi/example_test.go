package adminapi_test

import (
	"context"
	"fmt"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

func ExampleClient_CreateSession() {
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	pemKey, keyID := fake.AdminKeyPEM() // as downloaded from the portal

	ctx := context.Background()
	key, _ := adminapi.ParseKeyPEM(pemKey, keyID)
	admin, err := adminapi.New(adminapi.Config{Endpoint: fake.URL, ProjectID: "myapp", Key: key})
	if err != nil {
		panic(err)
	}
	u, err := admin.GetUserByLoginID(ctx, "email", "alice@example.com")
	if err != nil {
		panic(err)
	}
	if u.IsDisabled || u.IsDeactivated {
		return // Authgear would create a session anyway; don't ask it to
	}
	s, err := admin.CreateSession(ctx, u.NodeID, "test-client", nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.TokenType, s.ExpiresIn)
	// Output: Bearer 30m0s
}

func ExampleClient_Import() {
	fake := authgeartest.NewServer(authgeartest.Options{})
	defer fake.Close()
	admin := fake.AdminClient()
	ctx := context.Background()

	batch, err := admin.Import(ctx, adminapi.ImportRequest{
		Identifier: adminapi.IdentifierEmail,
		Records: []adminapi.ImportRecord{
			{Email: adminapi.Str("dave@example.com"), EmailVerified: adminapi.Bool(true), Name: adminapi.Str("Dave")},
			{Email: adminapi.Str("erin@example.com")},
		},
	})
	if err != nil {
		panic(err) // an *InvalidRecordsError lists every refused record
	}
	report, err := admin.WaitImport(ctx, batch, 10*time.Millisecond)
	if err != nil {
		panic(err)
	}
	fmt.Printf("inserted %d of %d\n", report.Summary.Inserted, report.Summary.Total)
	// Output: inserted 2 of 2
}
