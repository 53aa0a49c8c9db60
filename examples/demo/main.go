// Command demo shows agmigrate's moving parts on a fake Authgear, with
// nothing to configure:
//
//	go run ./examples/demo
//
// Today it walks through the foundation: an Authgear project (the
// authgeartest fake) with seeded users, the typed Admin API client finding
// a user by login ID, refusing a disabled one, creating exactly one session,
// and that session's access token verifying against the project's JWKS.
// The request-level migration (a legacy session exchanged by the middleware)
// is added to this walk-through when the middleware lands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func step(n int, format string, args ...any) {
	fmt.Printf("%d. "+format+"\n", append([]any{n}, args...)...)
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com", StandardAttributes: map[string]any{"name": "Alice"}})
	fake.AddUser(authgeartest.User{Email: "carol@example.com", Disabled: true})
	step(1, "fake Authgear at %s (project %q) with alice and a disabled carol", fake.URL, fake.ProjectID())

	pemKey, keyID := fake.AdminKeyPEM()
	key, err := adminapi.ParseKeyPEM(pemKey, keyID)
	if err != nil {
		return err
	}
	admin, err := adminapi.New(adminapi.Config{Endpoint: fake.URL, ProjectID: fake.ProjectID(), Key: key})
	if err != nil {
		return err
	}
	step(2, "Admin API client with the key the portal would download (kid %s)", key.KeyID())

	u, err := admin.GetUserByLoginID(ctx, "email", "ALICE@example.com")
	if err != nil {
		return err
	}
	if u.ID != alice {
		return fmt.Errorf("found user %s, want %s", u.ID, alice)
	}
	step(3, "getUserByLoginID(email, ALICE@example.com) found %s (case folded as Authgear does)", u.ID)

	carol, err := admin.GetUserByLoginID(ctx, "email", "carol@example.com")
	if err != nil {
		return err
	}
	if !carol.IsDisabled {
		return errors.New("carol should be disabled")
	}
	step(4, "carol is disabled: no session for her (Authgear's createSession would not refuse)")

	if _, err := admin.GetUserByLoginID(ctx, "email", "nobody@example.com"); !errors.Is(err, adminapi.ErrUserNotFound) {
		return fmt.Errorf("missing user: got %v", err)
	}
	step(5, "a login ID nobody has gives adminapi.ErrUserNotFound (an import gap)")

	sess, err := admin.CreateSession(ctx, u.NodeID, "test-client", adminapi.DeviceInfo{"demo": true})
	if err != nil {
		return err
	}
	if n := fake.SessionCount(alice); n != 1 {
		return fmt.Errorf("%d sessions, want 1", n)
	}
	step(6, "createSession gave %s; the fake holds exactly 1 session for alice", sess)

	tok, err := jwt.ParseString(sess.AccessToken, jwt.WithKeySet(fake.PublicKeys()), jwt.WithIssuer(fake.URL), jwt.WithAudience(fake.URL))
	if err != nil {
		return fmt.Errorf("access token does not verify: %w", err)
	}
	step(7, "the access token verifies against the JWKS: sub %s, expires in %v", tok.Subject(), time.Until(tok.Expiration()).Round(time.Minute))

	step(8, "Admin API calls seen by the fake: getUserByLoginID %d, createSession %d",
		fake.Calls("getUserByLoginID"), fake.Calls("createSession"))
	fmt.Println("\nAll steps behaved as expected.")
	fmt.Println("Not in this demo yet: the middleware exchanging a legacy session on a request (it is being built).")
	return nil
}
