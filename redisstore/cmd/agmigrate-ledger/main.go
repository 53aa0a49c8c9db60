// Command agmigrate-ledger copies redisstore's session ledger out of Redis
// into a ledger file: the JSON lines that `agmigrate sessions revoke
// --migrated --ledger FILE` reads (agmigrate.ReadLedgerLines).
//
//	AGMIGRATE_REDIS_URL=redis://:password@redis:6379/0 \
//	  go run github.com/agmigrate/agmigrate/redisstore/cmd/agmigrate-ledger -o sessions.jsonl
//	agmigrate sessions revoke --migrated --ledger sessions.jsonl
//
// It lives in the redisstore module, beside the Redis driver, so that the
// agmigrate command (in the core module) carries none. It reads the ledger
// with redisstore's own code (Store.CreatedSessions), never a token: the
// ledger holds none.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
)

// go-redis logs its own failures (a dial retried, …) to stderr; the
// command reports what failed itself, through its redactor.
func init() { redis.SetLogger(&logging.VoidLogger{}) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `agmigrate-ledger: copy redisstore's session ledger from Redis into a file.

  agmigrate-ledger -o FILE [-redis-url URL] [-cluster] [-prefix P]
                   [-since T] [-force] [-trim-before T]

The file is what "agmigrate sessions revoke --migrated --ledger FILE"
reads: one JSON object per session (session ID, user, client, time; no
token), mode 0600. It is written to a new temporary file beside FILE and
renamed into place, so a reader never sees half of it; an existing FILE
is kept unless -force is given.

The Redis URL comes from -redis-url or $AGMIGRATE_REDIS_URL (better: it
keeps the password off the command line): redis://[user:password@]host:6379[/db],
rediss:// for TLS. With -cluster it names one node of a Redis Cluster
(more nodes as ?addr=host:port). -prefix is redisstore's Options.Prefix.

-trim-before T then removes the ledger's entries created before T
(redisstore.Store.ForgetSessionsBefore), once the file holds them: for
entries older than Authgear's refresh-token lifetime. T must be at least
an hour ago, and cannot go with -since (the entries it would remove are
not in the file).

-since and -trim-before take RFC 3339 (2026-11-28T09:00:00Z) or a date.

Exit status: 0 done, 1 Redis or the file failed, 2 bad usage.

Flags:
`

// trimMargin is how far back -trim-before must be.
const trimMargin = time.Hour

// config is what the flags say.
type config struct {
	redisURL, prefix, out string
	since, trimBefore     time.Time
	cluster, force        bool
	timeout               time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	c, code := parseFlags(args, stderr, env)
	if c == nil {
		return code
	}
	// Every message that could carry a piece of the URL goes through
	// clean: a password is never echoed.
	clean := redactor(c.redisURL)
	rdb, err := client(c)
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate-ledger:", clean(err))
		return 2
	}
	defer rdb.Close()
	st, err := redisstore.New(rdb, redisstore.Options{Prefix: c.prefix, OpTimeout: c.timeout})
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate-ledger:", clean(err))
		return 2
	}
	n, err := dump(ctx, st, c.since, c.out, c.force)
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate-ledger:", clean(err))
		if errors.Is(err, errExists) {
			return 2
		}
		if !c.cluster && strings.Contains(err.Error(), "MOVED ") {
			fmt.Fprintln(stderr, "agmigrate-ledger: that node is part of a Redis Cluster: add -cluster")
		}
		return 1
	}
	fmt.Fprintf(stdout, "wrote %d sessions from %s to %s\n", n, redisstore.LedgerKey(c.prefix), c.out)
	if n == 0 {
		fmt.Fprintln(stdout, "(an empty ledger: check -prefix and the database number in the URL)")
	}
	if c.trimBefore.IsZero() {
		return 0
	}
	removed, err := st.ForgetSessionsBefore(ctx, c.trimBefore)
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate-ledger: trimming the ledger:", clean(err))
		return 1
	}
	fmt.Fprintf(stdout, "removed %d entries created before %s from the ledger\n", removed, c.trimBefore.UTC().Format(time.RFC3339))
	return 0
}

// parseFlags returns the configuration, or nil and the exit status.
func parseFlags(args []string, stderr io.Writer, env func(string) string) (*config, int) {
	fs := flag.NewFlagSet("agmigrate-ledger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	var since, trim string
	// The URL's default is read from the environment after parsing, not
	// given to the flag: the usage text prints flags' defaults.
	fs.StringVar(&c.redisURL, "redis-url", "", "the Redis holding the ledger (default $AGMIGRATE_REDIS_URL)")
	fs.BoolVar(&c.cluster, "cluster", false, "the URL names a node of a Redis Cluster")
	fs.StringVar(&c.prefix, "prefix", "agmigrate:", "redisstore's Options.Prefix")
	fs.StringVar(&c.out, "o", "", "the ledger file to write (required)")
	fs.BoolVar(&c.force, "force", false, "replace FILE if it exists")
	fs.StringVar(&since, "since", "", "only sessions created at or after this time")
	fs.StringVar(&trim, "trim-before", "", "after writing FILE, remove the ledger's entries created before this time")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "bound on each Redis call")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, 0
		}
		return nil, 2
	}
	bad := func(msg string) (*config, int) {
		fmt.Fprintln(stderr, "agmigrate-ledger:", msg)
		return nil, 2
	}
	if fs.NArg() > 0 {
		return bad("unexpected arguments; see -h")
	}
	if c.redisURL == "" {
		c.redisURL = env("AGMIGRATE_REDIS_URL")
	}
	if c.redisURL == "" {
		return bad("say where Redis is: -redis-url or $AGMIGRATE_REDIS_URL")
	}
	if c.out == "" {
		return bad("say where to write the ledger: -o FILE")
	}
	if c.timeout <= 0 {
		return bad("-timeout must be positive")
	}
	var err error
	if c.since, err = parseTime("-since", since); err != nil {
		return bad(err.Error())
	}
	if c.trimBefore, err = parseTime("-trim-before", trim); err != nil {
		return bad(err.Error())
	}
	if !c.trimBefore.IsZero() && !c.since.IsZero() {
		return bad("-trim-before cannot go with -since: it would remove entries the file does not hold")
	}
	// Entries are removed by time, not by name: one a replica records
	// after the copy, stamped before T by a clock running behind, would go
	// without being in the file. Keeping T an hour back leaves room.
	if !c.trimBefore.IsZero() && c.trimBefore.After(time.Now().Add(-trimMargin)) {
		return bad(fmt.Sprintf("-trim-before must be at least %v ago: sessions are still being recorded", trimMargin))
	}
	return &c, 0
}

func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q is neither RFC 3339 nor YYYY-MM-DD", name, s)
}

// client opens go-redis on the URL: one node, or a Cluster.
func client(c *config) (redis.UniversalClient, error) {
	if _, err := url.Parse(c.redisURL); err != nil {
		// url.Error, and even the reason inside it, quote pieces of the
		// URL (a password with a "/" reads as a bad port): none is shown.
		return nil, errors.New("the Redis URL does not parse: write it as redis://[user:password@]host:6379[/db], " +
			"with / @ : % in the password escaped (%2F %40 %3A %25)")
	}
	if c.cluster {
		o, err := redis.ParseClusterURL(c.redisURL)
		if err != nil {
			return nil, fmt.Errorf("the Redis URL: %w", err)
		}
		return redis.NewClusterClient(o), nil
	}
	o, err := redis.ParseURL(c.redisURL)
	if err != nil {
		return nil, fmt.Errorf("the Redis URL: %w", err)
	}
	return redis.NewClient(o), nil
}

// redactor returns a function that gives err's text with the URL's
// password (as written, unescaped and escaped) and the whole URL blotted
// out.
func redactor(raw string) func(error) string {
	var found []string
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			found = append(found, pw)
		}
	} else if err != nil {
		// Unparsable: what stands between the scheme and the last @, and
		// the part of it after the first colon.
		rest := raw
		if i := strings.Index(rest, "//"); i >= 0 {
			rest = rest[i+2:]
		}
		if at := strings.LastIndex(rest, "@"); at > 0 {
			found = append(found, rest[:at])
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				found = append(found, pw)
			}
		}
	}
	secrets := []string{raw}
	for _, x := range found {
		secrets = append(secrets, x, url.QueryEscape(x), url.PathEscape(x))
		if u, err := url.PathUnescape(x); err == nil {
			secrets = append(secrets, u)
		}
	}
	// Longest first, so that no part of a longer secret is left over.
	sort.Slice(secrets, func(i, j int) bool { return len(secrets[i]) > len(secrets[j]) })
	return func(err error) string {
		s := err.Error()
		for _, x := range secrets {
			if x != "" {
				s = strings.ReplaceAll(s, x, "[redacted]")
			}
		}
		return s
	}
}
