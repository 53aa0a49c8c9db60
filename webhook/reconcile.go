package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
)

// UserLister is the part of *adminapi.Client that Reconcile uses.
type UserLister interface {
	ListUsers(ctx context.Context, opts adminapi.ListUsersOptions) (*adminapi.UserPage, error)
}

// ReconcileConfig configures one reconciliation pass.
type ReconcileConfig struct {
	// Users lists Authgear's users (an *adminapi.Client). Required.
	Users UserLister

	// Exists reports whether the legacy system already has a record for
	// the Authgear user ID (uuid). Required.
	Exists func(ctx context.Context, userID string) (bool, error)

	// Mirror creates the legacy record: the same function the Handler's
	// OnEvent calls. It gets an Event of type UserCreated with Reconciled
	// set, User filled from the listing (ID, CreatedAt, IsDisabled,
	// StandardAttributes) and no identities. Required.
	Mirror Func

	// After resumes from a cursor: the Cursor of an earlier report.
	// Default: from the first user.
	After string

	// Since skips users created before it (they are still listed, the
	// Admin API cannot start at a time). Default: none skipped.
	Since time.Time

	// Settle leaves users created less than Settle ago to the next pass:
	// their delivery may still be on its way, and Authgear's user listing
	// (a search index) trails new users by a moment. Default 2 minutes.
	Settle time.Duration

	// PageSize is the number of users per Admin API call. Default 100.
	PageSize int

	// Now reads the clock. Default time.Now.
	Now func() time.Time

	// Checkpoint, when set, is called after each page with the cursor to
	// resume from, so an interrupted pass loses at most one page of work.
	Checkpoint func(ctx context.Context, cursor string) error
}

// ReconcileFailure is a user Mirror (or Exists) failed for.
type ReconcileFailure struct {
	UserID string
	Err    error
}

// ReconcileReport says what one pass did.
type ReconcileReport struct {
	Scanned  int // users listed and old enough to check
	Skipped  int // created before Since
	Present  int // already in the legacy system
	Mirrored int // missing, and handed to Mirror successfully
	// Failed lists the users that could not be checked or mirrored (at
	// most maxFailures; FailedCount has the total).
	Failed      []ReconcileFailure
	FailedCount int
	// Cursor is where the next pass starts: after the last user that was
	// fully handled with no failure before it. A pass with failures
	// leaves Cursor before the first one, so the next pass retries it.
	Cursor string
	// Settled is false when the pass stopped at users younger than
	// Settle; the next pass picks them up from Cursor.
	Settled bool
}

const maxFailures = 100

// ErrReconcile wraps the error that ended a reconciliation pass early.
var ErrReconcile = errors.New("webhook: reconciliation stopped")

// Reconcile finds the Authgear users that the legacy system lacks (their
// user.created delivery was lost: Authgear sends it once and never
// retries) and hands each to Mirror. Users are listed oldest first; run it
// on a schedule, each pass starting from the previous report's Cursor.
// Mirror must be idempotent by user ID.
func Reconcile(ctx context.Context, cfg ReconcileConfig) (*ReconcileReport, error) {
	if cfg.Users == nil || cfg.Exists == nil || cfg.Mirror == nil {
		return nil, fmt.Errorf("%w: Users, Exists and Mirror are required", ErrInvalidConfig)
	}
	if cfg.Settle < 0 || cfg.PageSize < 0 {
		return nil, fmt.Errorf("%w: Settle and PageSize must not be negative", ErrInvalidConfig)
	}
	if cfg.Settle == 0 {
		cfg.Settle = 2 * time.Minute
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 100
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cutoff := cfg.Now().Add(-cfg.Settle)
	rep := &ReconcileReport{Cursor: cfg.After, Settled: true}
	after := cfg.After
	failed := false // once a user failed, the cursor stays before it
	for {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("%w: %w", ErrReconcile, err)
		}
		page, err := cfg.Users.ListUsers(ctx, adminapi.ListUsersOptions{First: cfg.PageSize, After: after})
		if err != nil {
			return rep, fmt.Errorf("%w: listing users: %w", ErrReconcile, err)
		}
		for _, u := range page.Users {
			if u.CreatedAt.After(cutoff) {
				rep.Settled = false
				return rep, checkpoint(ctx, cfg, rep)
			}
			rep.Scanned++
			if err := reconcileOne(ctx, cfg, rep, u); err != nil {
				rep.FailedCount++
				if len(rep.Failed) < maxFailures {
					rep.Failed = append(rep.Failed, ReconcileFailure{UserID: u.ID, Err: err})
				}
				failed = true
			}
			if !failed {
				rep.Cursor = u.Cursor
			}
		}
		if err := checkpoint(ctx, cfg, rep); err != nil {
			return rep, err
		}
		if !page.HasNextPage || page.EndCursor == "" || page.EndCursor == after {
			return rep, nil
		}
		after = page.EndCursor
	}
}

func reconcileOne(ctx context.Context, cfg ReconcileConfig, rep *ReconcileReport, u adminapi.ListedUser) error {
	if !cfg.Since.IsZero() && u.CreatedAt.Before(cfg.Since) {
		rep.Skipped++
		return nil
	}
	ok, err := cfg.Exists(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("checking the legacy system: %w", err)
	}
	if ok {
		rep.Present++
		return nil
	}
	ev := &Event{
		Type:       UserCreated,
		Reconciled: true,
		User: &User{
			ID:                 u.ID,
			CreatedAt:          u.CreatedAt,
			IsDisabled:         u.IsDisabled,
			StandardAttributes: u.StandardAttributes,
		},
	}
	if err := cfg.Mirror(ctx, ev); err != nil {
		return fmt.Errorf("mirroring: %w", err)
	}
	rep.Mirrored++
	return nil
}

func checkpoint(ctx context.Context, cfg ReconcileConfig, rep *ReconcileReport) error {
	if cfg.Checkpoint == nil || rep.Cursor == "" {
		return nil
	}
	if err := cfg.Checkpoint(ctx, rep.Cursor); err != nil {
		return fmt.Errorf("%w: saving the checkpoint: %w", ErrReconcile, err)
	}
	return nil
}
