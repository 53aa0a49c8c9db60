// Command agmigrate helps a team migrate to Authgear:
//
//	agmigrate doctor   checks an Authgear setup and says how to fix what is wrong
//	agmigrate import   bulk-imports users from JSON, NDJSON or CSV, resumably
//
// Authgear settings come from flags or the environment: AUTHGEAR_ENDPOINT,
// AUTHGEAR_PROJECT_ID, AUTHGEAR_ADMIN_KEY_FILE, AUTHGEAR_ADMIN_KEY_ID,
// AUTHGEAR_CLIENT_ID (and AUTHGEAR_ADMIN_URL for a separate admin listener).
// Every command takes --help.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usage = `agmigrate: move users to Authgear without logging anyone out.

Usage:
  agmigrate doctor [flags]   check the Authgear setup; exit 1 when something is wrong
  agmigrate import [flags]   bulk-import users (User Import API), resumably
  agmigrate help             this text

Run "agmigrate <command> --help" for a command's flags.
`

// run is main without the process: exit code out, everything injectable.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "doctor":
		return doctor(ctx, args[1:], stdout, stderr, env)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr, env)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "agmigrate: unknown command %q\n\n%s", args[0], usage)
	return 2
}
