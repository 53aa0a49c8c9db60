// Command agmigrate helps a team migrate to Authgear:
//
//	agmigrate doctor   checks an Authgear setup and says how to fix what is wrong
//	agmigrate import   bulk-imports users from JSON, NDJSON or CSV, resumably
//
// Authgear settings come from flags or the environment: AUTHGEAR_ENDPOINT,
// AUTHGEAR_PROJECT_ID, AUTHGEAR_ADMIN_KEY_FILE, AUTHGEAR_ADMIN_KEY_ID,
// AUTHGEAR_CLIENT_ID (and AUTHGEAR_ADMIN_URL for a separate admin listener).
// Secrets never go on the command line: the admin key and legacy tokens
// are read from files (or standard input), and a key file other users can
// read is refused. Every command takes --help.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// command is one subcommand: a line for the usage text and its entry point,
// which returns the exit status.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int
}

// commands holds every subcommand by name. A command in its own file adds
// itself from an init function; usage lists whatever is here.
var commands = map[string]command{
	"doctor": {"check the Authgear setup; exit 1 when something is wrong", doctor},
	"import": {"bulk-import users (User Import API), resumably", importCmd},
}

func usage() string {
	var b strings.Builder
	b.WriteString("agmigrate: move users to Authgear without logging anyone out.\n\nUsage:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  agmigrate %-8s [flags]   %s\n", n, commands[n].summary)
	}
	b.WriteString("  agmigrate help                this text\n\nRun \"agmigrate <command> --help\" for a command's flags.\n")
	return b.String()
}

// run is main without the process: exit code out, everything injectable.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	if c, ok := commands[args[0]]; ok {
		return c.run(ctx, args[1:], stdout, stderr, env)
	}
	switch args[0] {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage())
		return 0
	}
	fmt.Fprintf(stderr, "agmigrate: unknown command %q\n\n%s", args[0], usage())
	return 2
}
