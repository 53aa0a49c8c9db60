package adminapi_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// A user's sessions, and revoking one of them.
func ExampleClient_ListSessions() {
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	admin := fake.AdminClient()
	ctx := context.Background()

	s, _ := admin.CreateSession(ctx, adminapi.UserNodeID(alice), "test-client", nil)
	sessions, err := admin.ListSessions(ctx, adminapi.UserNodeID(alice))
	if err != nil {
		panic(err)
	}
	for _, ss := range sessions {
		fmt.Println(ss.Type, ss.ClientID, ss.UserAgent)
	}
	// The session of a refresh token, without listing.
	id, _ := adminapi.SessionNodeIDFromRefreshToken(s.RefreshToken)
	fmt.Println(admin.RevokeSession(ctx, id))
	fmt.Println(errors.Is(admin.RevokeSession(ctx, id), adminapi.ErrSessionNotFound))
	// Output:
	// OFFLINE_GRANT test-client agmigrate-adminapi
	// <nil>
	// true
}

// Giving an imported user (who has no password) one, without sending it.
func ExampleClient_ResetPassword() {
	fake := authgeartest.NewServer(authgeartest.Options{})
	defer fake.Close()
	admin := fake.AdminClient()
	ctx := context.Background()

	u, _ := admin.CreateUser(ctx, "email", "bob@example.com", "")
	has, _ := admin.HasPassword(ctx, u.NodeID)
	fmt.Println("has a password:", has)

	err := admin.ResetPassword(ctx, u.NodeID, "short")
	fmt.Println(errors.Is(err, adminapi.ErrPasswordPolicy), adminapi.PasswordPolicyViolations(err)[0].Name)

	_ = admin.ResetPassword(ctx, u.NodeID, "a-long-enough-passw0rd")
	has, _ = admin.HasPassword(ctx, u.NodeID)
	fmt.Println("has a password:", has)
	// Output:
	// has a password: false
	// true PasswordTooShort
	// has a password: true
}
