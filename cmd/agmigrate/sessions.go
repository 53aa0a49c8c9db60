package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/revoke"
)

func init() {
	commands["sessions"] = command{"list or revoke the Authgear sessions agmigrate created (undo a cut-over)", sessionsCmd}
}

const sessionsHelp = `agmigrate sessions: find the Authgear sessions agmigrate created.

  agmigrate sessions list   --ledger FILE [--marker]
                            [--since T] [--client ID] [--json]
  agmigrate sessions revoke --migrated --ledger FILE
                            [--marker] [--since T] [--client ID] [--dry-run]
                            [--state FILE] [--report FILE] [--rate N]

Every session agmigrate creates is written into its session ledger at
once (session ID, user, client, time; never a token): in a file an app
writes through Config.OnSessionCreated with agmigrate.FileLedger, or in
Redis when the middleware uses redisstore. This command reads a ledger
file (--ledger). It carries no Redis driver: copy redisstore's ledger
into a file first, from your app's module (which requires redisstore):

  go run ` + ledgerDumpCmd + ` -o FILE

(the Redis URL in $AGMIGRATE_REDIS_URL; -prefix for redisstore's
Options.Prefix). Each session the ledger names is revoked by its ID,
whatever Authgear shows about it now; a session the user created by
signing in at Authgear is never in it.

--marker also walks every user (one Admin API call each) for sessions
from before the ledger existed, found by the User-Agent of the
createSession call (agmigrate-adminapi). Authgear shows it only until a
session's first refresh, so that walk misses those refreshed since; they
are counted among the "other refresh-token sessions left alone".

With Rollout{Percent: 0} in the middleware, revoking them undoes a
cut-over: the users' next requests are served by the legacy system.

revoke saves its place in --state after each page, so an interrupted or
partly failed run resumes where it stopped. --since takes RFC 3339
(2026-11-28T09:00:00Z) or a date (2026-11-28). A session found already
ended (revoked, expired, its user disabled) is reported as such.

Exit status: 0 done, 1 some sessions could not be revoked, 2 bad usage
or setup.

Flags:
`

// ledgerDumpCmd copies redisstore's ledger from Redis into a ledger file.
// It lives in the redisstore module, beside the Redis driver this module
// does without.
const ledgerDumpCmd = "github.com/agmigrate/agmigrate/redisstore/cmd/agmigrate-ledger"

// sessionsFlags are the flags of both subcommands.
type sessionsFlags struct {
	authgearFlags
	since, client, state, report string
	ledgerFile                   string
	migrated, dryRun, asJSON     bool
	marker                       bool
	rate                         float64
}

// redisFlag reports whether args hold one of the Redis flags this command
// once had (--redis-url, --redis-prefix, with one dash or two).
func redisFlag(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "redis-url" || name == "redis-prefix") {
			return true
		}
	}
	return false
}

func sessionsCmd(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "revoke") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, sessionsHelp)
			return 0
		}
		fmt.Fprint(stderr, "agmigrate sessions: say list or revoke\n\n", sessionsHelp)
		return 2
	}
	sub := args[0]
	if redisFlag(args[1:]) {
		// Said without the flag's value: it may hold a password.
		fmt.Fprintf(stderr, "agmigrate sessions: this command reads no Redis; copy redisstore's ledger into a file first:\n"+
			"  go run %s -o FILE   (the URL in $AGMIGRATE_REDIS_URL)\nthen: agmigrate sessions %s ... --ledger FILE\n", ledgerDumpCmd, sub)
		return 2
	}
	fs := flag.NewFlagSet("agmigrate sessions "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f sessionsFlags
	f.register(fs, env)
	fs.StringVar(&f.since, "since", "", "only sessions created at or after this time (RFC 3339 or YYYY-MM-DD)")
	fs.StringVar(&f.client, "client", "", "only sessions of this OAuth client ID")
	fs.StringVar(&f.ledgerFile, "ledger", "", "the session ledger file (agmigrate.FileLedger, or redisstore's ledger copied by agmigrate-ledger)")
	fs.BoolVar(&f.marker, "marker", false, "also walk every user for sessions from before the ledger (User-Agent marker)")
	if sub == "list" {
		fs.BoolVar(&f.asJSON, "json", false, "one JSON object per session")
	} else {
		fs.BoolVar(&f.migrated, "migrated", false, "revoke the sessions agmigrate created (required: nothing else is revoked)")
		fs.BoolVar(&f.dryRun, "dry-run", false, "find and report the sessions, revoke none")
		fs.StringVar(&f.state, "state", "agmigrate-sessions.state.json", "where progress is kept for resuming")
		fs.StringVar(&f.report, "report", "agmigrate-sessions.report.json", "where the report is written")
		fs.Float64Var(&f.rate, "rate", 10, "at most this many revocations per second (the Admin API budget)")
	}
	fs.Usage = func() { fmt.Fprint(stderr, sessionsHelp); fs.PrintDefaults() }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if sub == "revoke" && !f.migrated {
		fmt.Fprintln(stderr, "agmigrate sessions revoke: --migrated is required (it is the only selection there is)")
		return 2
	}
	if sub == "revoke" && f.rate <= 0 {
		fmt.Fprintln(stderr, "agmigrate sessions revoke: --rate must be positive")
		return 2
	}
	since, err := parseSince(f.since)
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate sessions:", err)
		return 2
	}
	if f.ledgerFile == "" && !f.marker {
		fmt.Fprintln(stderr, "agmigrate sessions: say where the session ledger is (--ledger FILE; for redisstore's, see -h), or --marker for sessions from before it")
		return 2
	}
	admin, err := f.admin()
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate sessions:", err)
		return 2
	}
	cfg := revoke.Config{Admin: admin, Since: since, ClientID: f.client, Marker: f.marker}
	if f.ledgerFile != "" {
		l, err := agmigrate.ReadFileLedger(f.ledgerFile)
		if err != nil {
			fmt.Fprintln(stderr, "agmigrate sessions:", err)
			return 2
		}
		defer l.Close()
		cfg.Ledger = l
	}
	if sub == "list" {
		return f.list(ctx, cfg, stdout, stderr)
	}
	return f.revoke(ctx, cfg, stdout, stderr, time.Now)
}

func parseSince(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q is neither RFC 3339 nor YYYY-MM-DD", s)
}

// sessionLine is one session in list output and in the report.
type sessionLine struct {
	Source    string    `json:"source"`
	UserID    string    `json:"user_id"`
	SessionID string    `json:"session_id"`
	ClientID  string    `json:"client_id"`
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked,omitempty"`
	Ended     bool      `json:"already_ended,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func lineOf(f revoke.Found) sessionLine {
	l := sessionLine{Source: string(f.Source), UserID: f.UserID, SessionID: f.SessionID, ClientID: f.ClientID,
		CreatedAt: f.CreatedAt, Revoked: f.Revoked, Ended: f.Gone}
	if f.Err != nil {
		l.Error = f.Err.Error()
	}
	return l
}

func (f *sessionsFlags) list(ctx context.Context, cfg revoke.Config, stdout, stderr io.Writer) int {
	cfg.DryRun = true
	enc := json.NewEncoder(stdout)
	cfg.OnSession = func(s revoke.Found) {
		if f.asJSON {
			_ = enc.Encode(lineOf(s))
			return
		}
		state := "live"
		switch {
		case s.Err != nil:
			state = "unknown (" + s.Err.Error() + ")"
		case s.Gone:
			state = "ended"
		}
		fmt.Fprintf(stdout, "%s  user %s  session %s  client %s  %s  %s\n", s.CreatedAt.UTC().Format(time.RFC3339), s.UserID, s.SessionID, s.ClientID, s.Source, state)
	}
	rep, err := revoke.Migrated(ctx, cfg)
	if rep != nil && !f.asJSON {
		fmt.Fprintf(stdout, "%d created by agmigrate: %d in the ledger, %d by the User-Agent marker; %d live, %d already ended\n",
			rep.Ledger+rep.Marked, rep.Ledger, rep.Marked, rep.Live(), rep.AlreadyGone)
		if cfg.Marker {
			fmt.Fprintf(stdout, "%d users, %d sessions; %d other refresh-token sessions left alone\n", rep.Users, rep.Sessions, rep.Unmarked)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate sessions list:", err)
		return 1
	}
	return 0
}

// sessionsState is what --state keeps between runs.
type sessionsState struct {
	Cursor    string    `json:"cursor"`
	Done      bool      `json:"done"`
	StartedAt time.Time `json:"started_at"`
	Since     string    `json:"since,omitempty"`
	Client    string    `json:"client,omitempty"`
	Source    string    `json:"source"`
}

// sessionsReport is the --report file.
type sessionsReport struct {
	DryRun      bool          `json:"dry_run"`
	FinishedAt  time.Time     `json:"finished_at"`
	Complete    bool          `json:"complete"`
	Ledger      int           `json:"in_ledger"`
	Marked      int           `json:"by_marker"`
	Revoked     int           `json:"revoked"`
	Live        int           `json:"live"`
	AlreadyGone int           `json:"already_ended"`
	RateLimited int           `json:"rate_limited"`
	Failed      int           `json:"failed"`
	Users       int           `json:"users_walked"`
	Sessions    int           `json:"sessions_walked"`
	Unmarked    int           `json:"other_sessions_left_alone"`
	Found       []sessionLine `json:"sessions_found"`
}

// source names where the sessions come from, for the state file.
func (f *sessionsFlags) source() string {
	var parts []string
	if f.ledgerFile != "" {
		parts = append(parts, "ledger file "+f.ledgerFile)
	}
	if f.marker {
		parts = append(parts, "marker")
	}
	return strings.Join(parts, " + ")
}

func (f *sessionsFlags) revoke(ctx context.Context, cfg revoke.Config, stdout, stderr io.Writer, now func() time.Time) int {
	st := sessionsState{StartedAt: now(), Since: f.since, Client: f.client, Source: f.source()}
	if !f.dryRun {
		if b, err := os.ReadFile(f.state); err == nil {
			var prev sessionsState
			if err := json.Unmarshal(b, &prev); err != nil {
				fmt.Fprintf(stderr, "agmigrate sessions revoke: %s is not a state file: %v\n", f.state, err)
				return 2
			}
			if prev.Since != f.since || prev.Client != f.client || prev.Source != f.source() {
				fmt.Fprintf(stderr, "agmigrate sessions revoke: %s was made with other --since/--client/--ledger/--marker; remove it to start over\n", f.state)
				return 2
			}
			if prev.Done {
				fmt.Fprintf(stdout, "the previous run finished (%s); remove it to run again\n", f.state)
				return 0
			}
			st = prev
			if st.Cursor != "" {
				fmt.Fprintln(stdout, "resuming from", f.state)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintln(stderr, "agmigrate sessions revoke:", err)
			return 2
		}
		cfg.Checkpoint = func(_ context.Context, cursor string) error {
			st.Cursor = cursor
			return writeJSON(f.state, st)
		}
	}
	cfg.After, cfg.DryRun = st.Cursor, f.dryRun
	cfg.Wait = rateLimiter(f.rate)
	var found []sessionLine
	cfg.OnSession = func(s revoke.Found) {
		found = append(found, lineOf(s))
		switch {
		case f.dryRun && s.Err == nil && !s.Gone:
			fmt.Fprintf(stdout, "would revoke  user %s  session %s\n", s.UserID, s.SessionID)
		case s.Err != nil:
			fmt.Fprintf(stdout, "FAILED        user %s  session %s: %v\n", s.UserID, s.SessionID, s.Err)
		}
	}
	rep, err := revoke.Migrated(ctx, cfg)
	if rep == nil {
		fmt.Fprintln(stderr, "agmigrate sessions revoke:", err)
		return 2
	}
	complete := err == nil && rep.FailedCount == 0
	r := sessionsReport{DryRun: f.dryRun, FinishedAt: now(), Complete: complete, Ledger: rep.Ledger, Marked: rep.Marked,
		Revoked: rep.Revoked, Live: rep.Live(), AlreadyGone: rep.AlreadyGone, RateLimited: rep.RateLimited, Failed: rep.FailedCount,
		Users: rep.Users, Sessions: rep.Sessions, Unmarked: rep.Unmarked, Found: found}
	if werr := writeJSON(f.report, r); werr != nil {
		fmt.Fprintln(stderr, "agmigrate sessions revoke: writing the report:", werr)
	}
	verb := fmt.Sprintf("revoked %d", rep.Revoked)
	if f.dryRun {
		verb = fmt.Sprintf("would revoke %d", rep.Live())
	}
	fmt.Fprintf(stdout, "%d sessions created by agmigrate (%d in the ledger, %d by the User-Agent marker): %s, %d already ended, %d failed\n",
		rep.Ledger+rep.Marked, rep.Ledger, rep.Marked, verb, rep.AlreadyGone, rep.FailedCount)
	if cfg.Marker {
		fmt.Fprintf(stdout, "walked %d users, %d sessions; %d other refresh-token sessions left alone\n", rep.Users, rep.Sessions, rep.Unmarked)
	}
	fmt.Fprintf(stdout, "report: %s\n", f.report)
	if !f.dryRun {
		st.Cursor, st.Done = rep.Cursor, complete
		if werr := writeJSON(f.state, st); werr != nil {
			fmt.Fprintln(stderr, "agmigrate sessions revoke: saving the state:", werr)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate sessions revoke:", err, "(run again to resume)")
		return 1
	}
	if rep.FailedCount > 0 {
		fmt.Fprintln(stderr, "agmigrate sessions revoke: some sessions were not revoked; run again to retry them")
		return 1
	}
	return 0
}

// rateLimiter spaces calls at least 1/perSecond apart.
func rateLimiter(perSecond float64) func(context.Context) error {
	gap := time.Duration(float64(time.Second) / perSecond)
	var next time.Time
	return func(ctx context.Context) error {
		now := time.Now()
		if wait := next.Sub(now); wait > 0 {
			t := time.NewTimer(wait)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
			now = next
		}
		next = now.Add(gap)
		return nil
	}
}
