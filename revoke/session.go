package revoke

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
)

// maxRateLimited bounds how often one revocation is tried again after
// Authgear answered 429.
const maxRateLimited = 8

// one revokes f's session, or in a dry run finds whether it is live, and
// reports whether all went well. live lists users' sessions for a dry run
// of ledger entries (nil: f was just listed, so it is live).
func (p *pass) one(ctx context.Context, f Found, live *liveSessions) bool {
	if p.cfg.DryRun {
		if live != nil {
			f.Gone, f.Err = live.gone(ctx, f.UserID, f.SessionID)
		}
	} else {
		f.Err = p.revoke(ctx, f.SessionID)
		if errors.Is(f.Err, adminapi.ErrSessionNotFound) {
			// Authgear's answer for a session that is gone is a bare
			// "unexpected error", which another failure could give too:
			// the user's session list says which it was.
			gone, err := (&liveSessions{admin: p.cfg.Admin}).gone(ctx, f.UserID, f.SessionID)
			switch {
			case err != nil:
				f.Err = fmt.Errorf("%w (and listing the user's sessions: %w)", f.Err, err)
			case gone:
				f.Err = nil
			}
			f.Gone = gone && err == nil
		}
		f.Revoked = f.Err == nil && !f.Gone
	}
	switch {
	case f.Err != nil:
		p.fail(f)
	case f.Gone:
		p.rep.AlreadyGone++
	case f.Revoked:
		p.rep.Revoked++
		p.rep.live++
	default:
		p.rep.live++ // a dry run's live session
	}
	if p.cfg.OnSession != nil {
		p.cfg.OnSession(f)
	}
	return f.Err == nil
}

// revoke makes one revokeSession call inside the budget, again after a 429.
func (p *pass) revoke(ctx context.Context, sessionNodeID string) error {
	for attempt := 1; ; attempt++ {
		if g := p.cfg.Governor; g != nil {
			if err := g.Wait(ctx, agmigrate.CallAdminMutation, agmigrate.Background); err != nil {
				return fmt.Errorf("waiting for the budget: %w", err)
			}
		}
		if p.cfg.Wait != nil {
			if err := p.cfg.Wait(ctx); err != nil {
				return fmt.Errorf("waiting for the budget: %w", err)
			}
		}
		err := p.cfg.Admin.RevokeSession(ctx, sessionNodeID)
		if !rateLimited(err) || attempt >= maxRateLimited {
			return err
		}
		p.rep.RateLimited++
		if g := p.cfg.Governor; g != nil {
			g.Pause(ctx, agmigrate.CallAdminMutation, 0) // the next Wait holds the call back
			continue
		}
		t := time.NewTimer(p.cfg.RateLimitBackOff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// rateLimited: Authgear (or a gateway) refused the call over its rate
// limit, as the governor reads it.
func rateLimited(err error) bool {
	var he *adminapi.HTTPError
	if errors.As(err, &he) && he.StatusCode == 429 {
		return true
	}
	var ge *adminapi.GraphQLError
	return errors.As(err, &ge) && (ge.ErrorName == "TooManyRequest" || ge.Reason == "RateLimited")
}

// liveSessions lists users' sessions once each, to tell whether a session
// is still there.
type liveSessions struct {
	admin Admin
	users map[string]map[string]bool // user uuid → session node IDs
}

// gone reports whether the session is no longer among the user's (or the
// user no longer exists).
func (l *liveSessions) gone(ctx context.Context, userID, sessionNodeID string) (bool, error) {
	ids, ok := l.users[userID]
	if !ok {
		ss, err := l.admin.ListSessions(ctx, adminapi.UserNodeID(userID))
		if err != nil && !errors.Is(err, adminapi.ErrUserNotFound) {
			return false, fmt.Errorf("listing sessions: %w", err)
		}
		ids = map[string]bool{}
		for _, s := range ss {
			ids[s.NodeID] = true
		}
		if l.users == nil {
			l.users = map[string]map[string]bool{}
		}
		l.users[userID] = ids
	}
	return !ids[sessionNodeID], nil
}
