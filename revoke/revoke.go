package revoke

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
)

// Admin is the part of *adminapi.Client a pass uses.
type Admin interface {
	ListUsers(ctx context.Context, opts adminapi.ListUsersOptions) (*adminapi.UserPage, error)
	ListSessions(ctx context.Context, userNodeID string) ([]adminapi.UserSession, error)
	RevokeSession(ctx context.Context, sessionNodeID string) error
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

	// DryRun finds the sessions and revokes none.
	DryRun bool

	// Since selects only sessions created at or after it. Default: all.
	Since time.Time

	// ClientID, when set, selects only sessions of that OAuth client.
	ClientID string

	// MarkerUserAgent is the User-Agent agmigrate's Admin API client
	// sends (adminapi.Config.UserAgent). Default adminapi.MarkerUserAgent.
	MarkerUserAgent string

	// After resumes from a cursor (a Report.Cursor). Default: the first
	// user.
	After string

	// PageSize is the number of users per listing call. Default 100.
	PageSize int

	// Wait, when set, is called before every revokeSession call, to keep
	// the pass inside an Admin API budget (a rate limiter's Wait).
	Wait func(ctx context.Context) error

	// Checkpoint, when set, is called after each page of users with the
	// cursor to resume from.
	Checkpoint func(ctx context.Context, cursor string) error

	// OnSession, when set, is called for every marked session found,
	// after it was revoked (or not, in a dry run).
	OnSession func(Found)
}

// Found is one marked session.
type Found struct {
	UserID    string // uuid
	SessionID string // node ID
	ClientID  string
	CreatedAt time.Time
	// Revoked is true once revokeSession succeeded, or found the session
	// already gone; false in a dry run or on failure.
	Revoked bool
	Err     error
}

// Report says what a pass did.
type Report struct {
	DryRun        bool
	Users         int // users listed
	DisabledUsers int // skipped: disabling deleted their sessions
	Sessions      int // sessions listed
	Marked        int // carrying agmigrate's marker (and in Since/ClientID)
	Revoked       int
	AlreadyGone   int // revokeSession found the session gone
	// Unmarked counts OFFLINE_GRANT sessions without the marker (of
	// ClientID when set): the user's own, and migrated sessions that a
	// refresh stripped of the marker.
	Unmarked    int
	FailedCount int
	Failed      []Found // at most maxFailures
	// Cursor resumes the pass: after the last user whose sessions were
	// all handled, with no failure before it.
	Cursor string
}

const maxFailures = 100

// IsMigrated reports whether s carries agmigrate's marker: a refresh-token
// session whose last access is still the Admin API call that created it.
// markerUA is the Admin API client's User-Agent.
func IsMigrated(s adminapi.UserSession, markerUA string) bool {
	if markerUA == "" {
		markerUA = adminapi.MarkerUserAgent
	}
	return s.Type == adminapi.SessionTypeOfflineGrant && s.UserAgent != "" && strings.HasPrefix(s.UserAgent, markerUA)
}

// Migrated lists every user's sessions, oldest user first, and revokes the
// ones carrying agmigrate's marker (none in a dry run). Sessions without
// it, the user's own sign-ins at Authgear among them, are never touched.
func Migrated(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Admin == nil {
		return nil, fmt.Errorf("%w: Admin is required", ErrInvalidConfig)
	}
	if cfg.PageSize < 0 {
		return nil, fmt.Errorf("%w: PageSize must not be negative", ErrInvalidConfig)
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 100
	}
	if cfg.MarkerUserAgent == "" {
		cfg.MarkerUserAgent = adminapi.MarkerUserAgent
	}
	rep := &Report{DryRun: cfg.DryRun, Cursor: cfg.After}
	after := cfg.After
	failed := false
	for {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("%w: %w", ErrStopped, err)
		}
		page, err := cfg.Admin.ListUsers(ctx, adminapi.ListUsersOptions{First: cfg.PageSize, After: after})
		if err != nil {
			return rep, fmt.Errorf("%w: listing users: %w", ErrStopped, err)
		}
		for _, u := range page.Users {
			rep.Users++
			if err := ctx.Err(); err != nil {
				return rep, fmt.Errorf("%w: %w", ErrStopped, err)
			}
			if u.IsDisabled {
				// Disabling a user deleted all of its sessions (case 111).
				rep.DisabledUsers++
			} else if !userPass(ctx, cfg, rep, u) {
				failed = true
			}
			if !failed {
				rep.Cursor = u.Cursor
			}
		}
		if cfg.Checkpoint != nil && rep.Cursor != "" {
			if err := cfg.Checkpoint(ctx, rep.Cursor); err != nil {
				return rep, fmt.Errorf("%w: saving the checkpoint: %w", ErrStopped, err)
			}
		}
		if !page.HasNextPage || page.EndCursor == "" || page.EndCursor == after {
			return rep, nil
		}
		after = page.EndCursor
	}
}

// userPass handles one user's sessions and reports whether all went well.
func userPass(ctx context.Context, cfg Config, rep *Report, u adminapi.ListedUser) bool {
	ss, err := cfg.Admin.ListSessions(ctx, u.NodeID)
	if errors.Is(err, adminapi.ErrUserNotFound) {
		return true // deleted since it was listed: no sessions left
	}
	if err != nil {
		fail(rep, Found{UserID: u.ID, Err: fmt.Errorf("listing sessions: %w", err)})
		return false
	}
	ok := true
	for _, s := range ss {
		rep.Sessions++
		if cfg.ClientID != "" && s.ClientID != cfg.ClientID {
			continue
		}
		if !IsMigrated(s, cfg.MarkerUserAgent) {
			if s.Type == adminapi.SessionTypeOfflineGrant {
				rep.Unmarked++
			}
			continue
		}
		if !cfg.Since.IsZero() && s.CreatedAt.Before(cfg.Since) {
			continue
		}
		rep.Marked++
		f := Found{UserID: u.ID, SessionID: s.NodeID, ClientID: s.ClientID, CreatedAt: s.CreatedAt}
		if !cfg.DryRun {
			f.Err = revokeOne(ctx, cfg, rep, s.NodeID)
			f.Revoked = f.Err == nil
			if f.Err != nil {
				fail(rep, f)
				ok = false
			}
		}
		if cfg.OnSession != nil {
			cfg.OnSession(f)
		}
	}
	return ok
}

func revokeOne(ctx context.Context, cfg Config, rep *Report, sessionNodeID string) error {
	if cfg.Wait != nil {
		if err := cfg.Wait(ctx); err != nil {
			return fmt.Errorf("waiting for the budget: %w", err)
		}
	}
	err := cfg.Admin.RevokeSession(ctx, sessionNodeID)
	switch {
	case err == nil:
		rep.Revoked++
		return nil
	case errors.Is(err, adminapi.ErrSessionNotFound):
		// It was listed a moment ago, so it existed: it ended (revoked,
		// expired, or the user signed out) in between.
		rep.AlreadyGone++
		return nil
	}
	return err
}

func fail(rep *Report, f Found) {
	rep.FailedCount++
	if len(rep.Failed) < maxFailures {
		rep.Failed = append(rep.Failed, f)
	}
}
