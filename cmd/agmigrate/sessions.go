package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/agmigrate/agmigrate/revoke"
)

func init() {
	commands["sessions"] = command{"list or revoke the Authgear sessions agmigrate created (undo a cut-over)", sessionsCmd}
}

const sessionsHelp = `agmigrate sessions: find the Authgear sessions agmigrate created.

  agmigrate sessions list   [--since T] [--client ID] [--json]
  agmigrate sessions revoke --migrated [--since T] [--client ID] [--dry-run]
                            [--state FILE] [--report FILE] [--rate N]

A session agmigrate created carries a marker Authgear keeps: the
User-Agent of the createSession call (agmigrate-adminapi), which Authgear
shows as the session's userAgent until the session is refreshed. Only
those sessions are listed or revoked; a session the user created by
signing in at Authgear never is. A migrated session refreshed since then
no longer carries the marker and is counted as "unmarked".

With Rollout{Percent: 0} in the middleware, revoking them undoes a
cut-over: the users' next requests are served by the legacy system.

revoke walks every user (one Admin API call per user, one per session
revoked), saving its place in --state after each page, so an interrupted
run resumes where it stopped. --since takes RFC 3339 (2026-11-28T09:00:00Z)
or a date (2026-11-28).

Exit status: 0 done, 1 some sessions could not be revoked, 2 bad usage
or setup.

Flags:
`

// sessionsFlags are the flags of both subcommands.
type sessionsFlags struct {
	authgearFlags
	since, client, state, report string
	migrated, dryRun, asJSON     bool
	rate                         float64
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
	fs := flag.NewFlagSet("agmigrate sessions "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f sessionsFlags
	f.register(fs, env)
	fs.StringVar(&f.since, "since", "", "only sessions created at or after this time (RFC 3339 or YYYY-MM-DD)")
	fs.StringVar(&f.client, "client", "", "only sessions of this OAuth client ID")
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
	admin, err := f.admin()
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate sessions:", err)
		return 2
	}
	cfg := revoke.Config{Admin: admin, Since: since, ClientID: f.client}
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
	UserID    string    `json:"user_id"`
	SessionID string    `json:"session_id"`
	ClientID  string    `json:"client_id"`
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func lineOf(f revoke.Found) sessionLine {
	l := sessionLine{UserID: f.UserID, SessionID: f.SessionID, ClientID: f.ClientID, CreatedAt: f.CreatedAt, Revoked: f.Revoked}
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
		fmt.Fprintf(stdout, "%s  user %s  session %s  client %s\n", s.CreatedAt.UTC().Format(time.RFC3339), s.UserID, s.SessionID, s.ClientID)
	}
	rep, err := revoke.Migrated(ctx, cfg)
	if rep != nil && !f.asJSON {
		fmt.Fprintf(stdout, "%d users, %d sessions: %d created by agmigrate, %d other refresh-token sessions left alone\n",
			rep.Users, rep.Sessions, rep.Marked, rep.Unmarked)
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
}

// sessionsReport is the --report file.
type sessionsReport struct {
	DryRun      bool          `json:"dry_run"`
	FinishedAt  time.Time     `json:"finished_at"`
	Complete    bool          `json:"complete"`
	Users       int           `json:"users"`
	Sessions    int           `json:"sessions"`
	Marked      int           `json:"marked"`
	Revoked     int           `json:"revoked"`
	AlreadyGone int           `json:"already_gone"`
	Unmarked    int           `json:"unmarked"`
	Failed      int           `json:"failed"`
	Found       []sessionLine `json:"sessions_found"`
}

func (f *sessionsFlags) revoke(ctx context.Context, cfg revoke.Config, stdout, stderr io.Writer, now func() time.Time) int {
	st := sessionsState{StartedAt: now(), Since: f.since, Client: f.client}
	if !f.dryRun {
		if b, err := os.ReadFile(f.state); err == nil {
			var prev sessionsState
			if err := json.Unmarshal(b, &prev); err != nil {
				fmt.Fprintf(stderr, "agmigrate sessions revoke: %s is not a state file: %v\n", f.state, err)
				return 2
			}
			if prev.Since != f.since || prev.Client != f.client {
				fmt.Fprintf(stderr, "agmigrate sessions revoke: %s was made with other --since/--client; remove it to start over\n", f.state)
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
		case f.dryRun:
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
	r := sessionsReport{DryRun: f.dryRun, FinishedAt: now(), Complete: complete, Users: rep.Users, Sessions: rep.Sessions,
		Marked: rep.Marked, Revoked: rep.Revoked, AlreadyGone: rep.AlreadyGone, Unmarked: rep.Unmarked, Failed: rep.FailedCount, Found: found}
	if werr := writeJSON(f.report, r); werr != nil {
		fmt.Fprintln(stderr, "agmigrate sessions revoke: writing the report:", werr)
	}
	verb := "revoked"
	if f.dryRun {
		verb = "would revoke"
	}
	fmt.Fprintf(stdout, "%d users, %d sessions: %s %d created by agmigrate (%d already gone), %d failed; %d other refresh-token sessions left alone\nreport: %s\n",
		rep.Users, rep.Sessions, verb, rep.Marked, rep.AlreadyGone, rep.FailedCount, rep.Unmarked, f.report)
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
