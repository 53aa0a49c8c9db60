package revoke

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
)

// Admin is the part of *adminapi.Client a pass uses.
type Admin interface {
	ListUsers(ctx context.Context, opts adminapi.ListUsersOptions) (*adminapi.UserPage, error)
	ListSessions(ctx context.Context, userNodeID string) ([]adminapi.UserSession, error)
	RevokeSession(ctx context.Context, sessionNodeID string) error
}

// Ledger is the reading side of agmigrate.SessionLedger: the middleware's
// Store (agmigrate.MemoryStore, redisstore.Store), an agmigrate.FileLedger,
// or the app's own ledger behind Config.OnSessionCreated.
type Ledger interface {
	CreatedSessions(ctx context.Context, after agmigrate.CreatedSession, limit int) ([]agmigrate.CreatedSession, error)
}

// ErrInvalidConfig is wrapped by the error a pass returns for bad settings.
var ErrInvalidConfig = errors.New("revoke: invalid config")

// ErrStopped wraps the error that ended a pass early; the report says how
// far it got and its Cursor resumes it.
var ErrStopped = errors.New("revoke: pass stopped")

// Config configures one pass.
type Config struct {
	// Admin reaches Authgear (an *adminapi.Client). Required.
	Admin Admin

	// Ledger lists the sessions agmigrate created: the exact source. Each
	// is revoked by its ID, whatever Authgear shows about it now.
	// Required unless Marker is set.
	Ledger Ledger

	// Marker also walks every user's sessions (one Admin API call per
	// user) for those still carrying the User-Agent of the createSession
	// call: sessions created before the ledger existed, and not refreshed
	// since (a refresh replaces the User-Agent). Sessions the ledger
	// holds are not counted twice. Default false.
	Marker bool

	// DryRun finds the sessions and revokes none.
	DryRun bool

	// Since selects only sessions created at or after it. Default: all.
	Since time.Time

	// ClientID, when set, selects only sessions of that OAuth client.
	ClientID string

	// MarkerUserAgent is the User-Agent agmigrate's Admin API client
	// sends (adminapi.Config.UserAgent). Default adminapi.MarkerUserAgent.
	MarkerUserAgent string

	// After resumes from a cursor (a Report.Cursor). Default: the start.
	After string

	// PageSize is the number of ledger entries, or of users, per call.
	// Default 100.
	PageSize int

	// Governor, when set, is the middleware's (Middleware.Governor()):
	// each revokeSession takes its call from the Admin API budget at
	// Background priority, behind the users' own exchanges, and an
	// Authgear 429 answer pauses the budget in every replica.
	Governor *agmigrate.Governor

	// Wait, when set, is also called before every revokeSession call (a
	// rate limiter's Wait, for a pass without a middleware).
	Wait func(ctx context.Context) error

	// RateLimitBackOff is how long a 429 answer pauses the pass when there
	// is no Governor. Default 2 s.
	RateLimitBackOff time.Duration

	// Checkpoint, when set, is called after each page with the cursor to
	// resume from.
	Checkpoint func(ctx context.Context, cursor string) error

	// OnSession, when set, is called for every session selected, after it
	// was revoked (or not, in a dry run).
	OnSession func(Found)
}

// Source says how a pass found a session.
type Source string

const (
	// FromLedger: the session ledger names it.
	FromLedger Source = "ledger"
	// FromMarker: only the User-Agent marker shows it (Config.Marker).
	FromMarker Source = "marker"
)

// Found is one session a pass selected.
type Found struct {
	Source    Source
	UserID    string // uuid
	SessionID string // node ID
	ClientID  string
	CreatedAt time.Time
	// Revoked is true once revokeSession succeeded.
	Revoked bool
	// Gone is true when the session had already ended (revoked, expired,
	// signed out, its user disabled or deleted); a dry run tells too.
	Gone bool
	Err  error
}

// Report says what a pass did.
type Report struct {
	DryRun bool
	// Ledger is how many ledger entries were selected (Since, ClientID).
	Ledger int
	// Marked is how many sessions only the User-Agent marker found.
	Marked int
	// Revoked counts the sessions this pass revoked.
	Revoked int
	// AlreadyGone counts selected sessions that had ended before.
	AlreadyGone int
	// RateLimited counts Authgear 429 answers (each call is tried again).
	RateLimited int
	FailedCount int
	Failed      []Found // at most maxFailures

	// The User-Agent walk (Config.Marker).
	Users         int // users listed
	DisabledUsers int // skipped: disabling deleted their sessions
	Sessions      int // sessions listed
	// Unmarked counts the OFFLINE_GRANT sessions (of ClientID when set)
	// neither in the ledger nor marked: the users' own, and sessions from
	// before the ledger that a refresh stripped of the marker.
	Unmarked int

	// Cursor resumes the pass after the last session handled with no
	// failure before it.
	Cursor string

	live int
}

// Live is how many selected sessions were still live: revoked, or in a
// dry run to be revoked.
func (r *Report) Live() int { return r.live }

const maxFailures = 100

// Cursors: "ledger:<agmigrate.LedgerCursor>" in the ledger, then
// "marker:<user cursor>" in the walk of users.
const (
	ledgerPhase = "ledger:"
	markerPhase = "marker:"
)

// IsMigrated reports whether s carries agmigrate's User-Agent marker: a
// refresh-token session whose last access is still the Admin API call that
// created it. markerUA is the Admin API client's User-Agent.
func IsMigrated(s adminapi.UserSession, markerUA string) bool {
	if markerUA == "" {
		markerUA = adminapi.MarkerUserAgent
	}
	return s.Type == adminapi.SessionTypeOfflineGrant && s.UserAgent != "" && strings.HasPrefix(s.UserAgent, markerUA)
}

// pass is one run of Migrated.
type pass struct {
	cfg      Config
	rep      *Report
	inLedger map[string]bool // session uuids the ledger named (for the walk)
}

// Migrated revokes the sessions agmigrate created (none in a dry run):
// first every session the ledger names, then, with Config.Marker, those
// still carrying the User-Agent marker. A session the user created by
// signing in at Authgear is in neither and is never touched.
func Migrated(ctx context.Context, cfg Config) (*Report, error) {
	switch {
	case cfg.Admin == nil:
		return nil, fmt.Errorf("%w: Admin is required", ErrInvalidConfig)
	case cfg.Ledger == nil && !cfg.Marker:
		return nil, fmt.Errorf("%w: a Ledger, or Marker, is required", ErrInvalidConfig)
	case cfg.PageSize < 0 || cfg.RateLimitBackOff < 0:
		return nil, fmt.Errorf("%w: PageSize and RateLimitBackOff must not be negative", ErrInvalidConfig)
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 100
	}
	if cfg.MarkerUserAgent == "" {
		cfg.MarkerUserAgent = adminapi.MarkerUserAgent
	}
	if cfg.RateLimitBackOff == 0 {
		cfg.RateLimitBackOff = 2 * time.Second
	}
	p := &pass{cfg: cfg, rep: &Report{DryRun: cfg.DryRun, Cursor: cfg.After}}
	if cfg.Marker && cfg.Ledger != nil {
		p.inLedger = map[string]bool{}
	}
	var ledgerAt agmigrate.CreatedSession
	markerAt, inMarker := "", false
	switch c := cfg.After; {
	case c == "":
	case strings.HasPrefix(c, ledgerPhase):
		at, err := agmigrate.ParseLedgerCursor(c[len(ledgerPhase):])
		if err != nil || cfg.Ledger == nil {
			return nil, fmt.Errorf("%w: After is not a cursor of this pass", ErrInvalidConfig)
		}
		ledgerAt = at
	case strings.HasPrefix(c, markerPhase) && cfg.Marker:
		markerAt, inMarker = c[len(markerPhase):], true
	default:
		return nil, fmt.Errorf("%w: After is not a cursor of this pass", ErrInvalidConfig)
	}
	clean := true
	if cfg.Ledger != nil && !inMarker {
		ok, err := p.ledger(ctx, ledgerAt)
		if err != nil {
			return p.rep, err
		}
		clean = ok
	}
	if cfg.Marker {
		if err := p.walk(ctx, markerAt, clean); err != nil {
			return p.rep, err
		}
	}
	return p.rep, nil
}

// checkpoint saves the cursor, when it moved.
func (p *pass) checkpoint(ctx context.Context) error {
	if p.cfg.Checkpoint == nil || p.rep.Cursor == "" {
		return nil
	}
	if err := p.cfg.Checkpoint(ctx, p.rep.Cursor); err != nil {
		return fmt.Errorf("%w: saving the checkpoint: %w", ErrStopped, err)
	}
	return nil
}

func (p *pass) fail(f Found) {
	p.rep.FailedCount++
	if len(p.rep.Failed) < maxFailures {
		p.rep.Failed = append(p.rep.Failed, f)
	}
}

func (p *pass) selected(clientID string, created time.Time) bool {
	return (p.cfg.ClientID == "" || clientID == p.cfg.ClientID) && (p.cfg.Since.IsZero() || !created.Before(p.cfg.Since))
}
