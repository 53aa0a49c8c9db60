package authgeartest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

func ExampleNewServer() {
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})

	// Make createSession slow, once, to test a timeout path.
	fake.SetFault("createSession", authgeartest.Fault{Latency: 10 * time.Millisecond, Times: 1})
	_, _ = fake.AdminClient().CreateSession(context.Background(), adminapi.UserNodeID(alice), "test-client", nil)

	fmt.Println(fake.Calls("createSession"), fake.SessionCount(alice))
	// Output: 1 1
}
