// Command demo walks through a zero-downtime migration to Authgear on one
// command, with nothing to configure:
//
//	go run ./examples/demo          # run the walk-through, exit 0 if every step behaved
//	go run ./examples/demo -serve   # keep it running and print curl commands to try
//
// It starts a fake Authgear (authgeartest) with seeded users, a small
// legacy login system that issues HS256 session tokens, and an app wrapped
// by the agmigrate middleware. With AUTHGEAR_ENDPOINT, AUTHGEAR_PROJECT_ID,
// AUTHGEAR_ADMIN_KEY_FILE, AUTHGEAR_ADMIN_KEY_ID and AUTHGEAR_CLIENT_ID set,
// the same app runs against that real Authgear project instead (the users
// in DEMO_LOGIN_IDS, default alice@example.com and bob@example.com, must
// exist there; steps that count the fake's calls are skipped).
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
	if err := run(ctx, os.Stdout, *serve); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

// run sets the world up, walks through the steps, and with serve waits
// for ctx to end.
func run(ctx context.Context, out io.Writer, serve bool) error {
	w, err := newWorld(ctx, out)
	if err != nil {
		return err
	}
	defer w.close()
	if err := w.walk(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nEvery step behaved as expected.")
	if serve {
		w.printCurl()
		<-ctx.Done()
		return nil
	}
	return nil
}

// timeout bounds each step.
const timeout = 20 * time.Second
