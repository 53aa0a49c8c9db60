// Command demo walks through a zero-downtime migration to Authgear on one
// command, with nothing to configure:
//
//	go run ./examples/demo          # run the walk-through, exit 0 if every step behaved
//	go run ./examples/demo -serve   # keep it running and print curl commands to try
//
// It starts a fake Authgear (authgeartest) with seeded users, a small
// legacy login system that issues HS256 session tokens, and an app wrapped
// by the agmigrate middleware. It says why it uses the fake.
//
// With the AUTHGEAR_* variables the agmigrate command reads set, the same
// app runs against that real Authgear project instead:
//
//	AUTHGEAR_ENDPOINT        the public origin, e.g. https://myapp.authgear.cloud
//	AUTHGEAR_ADMIN_URL       self-hosted only: the admin listener, e.g. http://authgear:3002
//	AUTHGEAR_PROJECT_ID      the project ID, e.g. myapp
//	AUTHGEAR_ADMIN_KEY_FILE  the Admin API key (PEM or JWK set)
//	AUTHGEAR_ADMIN_KEY_ID    its key ID
//	AUTHGEAR_CLIENT_ID       a first-party OAuth client
//
// The users in DEMO_LOGIN_IDS (default alice@example.com and
// bob@example.com) must exist there, and createSession must be enabled;
// steps that count the fake's calls are skipped. If only some of the
// variables are set, the demo stops and names the missing ones.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	serve := flag.Bool("serve", false, "keep the servers running and print curl commands")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, options{serve: *serve, env: os.Getenv}); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

// run sets the world up, walks through the steps, and with serve waits
// for ctx to end.
func run(ctx context.Context, out io.Writer, opts options) error {
	w, err := newWorld(ctx, out, opts)
	if err != nil {
		return err
	}
	defer w.close()
	if err := w.walk(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nEvery step behaved as expected.")
	if opts.serve {
		w.printCurl()
		<-ctx.Done()
		return nil
	}
	return nil
}

// timeout bounds each step.
const timeout = 20 * time.Second
