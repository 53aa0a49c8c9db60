package revoke

import (
	"context"
	"errors"
	"fmt"

	"github.com/agmigrate/agmigrate/adminapi"
)

// walk lists every user's sessions, oldest user first, after the user
// cursor `after`, and handles those carrying the User-Agent marker that
// the ledger did not name. clean says no failure came before.
func (p *pass) walk(ctx context.Context, after string, clean bool) error {
	if clean {
		p.rep.Cursor = markerPhase + after
	}
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", ErrStopped, err)
		}
		page, err := p.cfg.Admin.ListUsers(ctx, adminapi.ListUsersOptions{First: p.cfg.PageSize, After: after})
		if err != nil {
			return fmt.Errorf("%w: listing users: %w", ErrStopped, err)
		}
		for _, u := range page.Users {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%w: %w", ErrStopped, err)
			}
			p.rep.Users++
			if u.IsDisabled {
				// Disabling a user deleted all of its sessions (case 111).
				p.rep.DisabledUsers++
			} else if !p.user(ctx, u) {
				clean = false
			}
			if clean {
				p.rep.Cursor = markerPhase + u.Cursor
			}
		}
		if err := p.checkpoint(ctx); err != nil {
			return err
		}
		if !page.HasNextPage || page.EndCursor == "" || page.EndCursor == after {
			return nil
		}
		after = page.EndCursor
	}
}

// user handles one user's marked sessions and reports whether all went
// well.
func (p *pass) user(ctx context.Context, u adminapi.ListedUser) bool {
	ss, err := p.cfg.Admin.ListSessions(ctx, u.NodeID)
	if errors.Is(err, adminapi.ErrUserNotFound) {
		return true // deleted since it was listed: no sessions left
	}
	if err != nil {
		p.fail(Found{Source: FromMarker, UserID: u.ID, Err: fmt.Errorf("listing sessions: %w", err)})
		return false
	}
	ok := true
	for _, s := range ss {
		p.rep.Sessions++
		if (p.cfg.ClientID != "" && s.ClientID != p.cfg.ClientID) || p.inLedger[s.ID] {
			continue
		}
		if !IsMigrated(s, p.cfg.MarkerUserAgent) {
			if s.Type == adminapi.SessionTypeOfflineGrant {
				p.rep.Unmarked++
			}
			continue
		}
		if !p.selected(s.ClientID, s.CreatedAt) {
			continue
		}
		p.rep.Marked++
		f := Found{Source: FromMarker, UserID: u.ID, SessionID: s.NodeID, ClientID: s.ClientID, CreatedAt: s.CreatedAt}
		if !p.one(ctx, f, nil) {
			ok = false
		}
	}
	return ok
}
