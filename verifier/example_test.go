package verifier_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

func ExampleNewAuthgear() {
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	s, _ := fake.AdminClient().CreateSession(context.Background(), adminapi.UserNodeID(alice), "test-client", nil)

	ag, err := verifier.NewAuthgear(context.Background(), verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		panic(err)
	}
	defer ag.Close()
	claims, err := ag.Verify(context.Background(), s.AccessToken)
	fmt.Println(err == nil, claims.Subject == alice, claims.ClientID)

	_, err = ag.Verify(context.Background(), "eyJhbGciOiJub25lIn0.e30.")
	fmt.Println(errors.Is(err, verifier.ErrAlgorithm))
	// Output:
	// true true test-client
	// true
}

func ExampleNewJWT() {
	// A Firebase project; tokens must come from it, for it, with a
	// verified email, which becomes the Authgear login ID.
	cfg := verifier.Firebase("my-project")
	cfg.MaxAge = 0 // adjust the preset before building the verifier
	fmt.Println(cfg.Issuer, cfg.Audience, cfg.LoginID.Claim, cfg.LoginID.RequireEmailVerified)
	// Output: https://securetoken.google.com/my-project [my-project] email true
}
