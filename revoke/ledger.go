package revoke

import (
	"context"
	"fmt"

	"github.com/agmigrate/agmigrate"
)

// ledger handles the sessions the ledger names after at, in ledger order.
// It reports whether all went well: after a failure the cursor stays
// before it, while the pass goes on with the rest.
func (p *pass) ledger(ctx context.Context, at agmigrate.CreatedSession) (bool, error) {
	if since := (agmigrate.CreatedSession{CreatedAt: p.cfg.Since}); !p.cfg.Since.IsZero() && at.Before(since) {
		// The ledger is in time order: start at Since's millisecond.
		at = since
	}
	clean := true
	for {
		if err := ctx.Err(); err != nil {
			return clean, fmt.Errorf("%w: %w", ErrStopped, err)
		}
		page, err := p.cfg.Ledger.CreatedSessions(ctx, at, p.cfg.PageSize)
		if err != nil {
			return clean, fmt.Errorf("%w: reading the ledger: %w", ErrStopped, err)
		}
		live := &liveSessions{admin: p.cfg.Admin}
		for _, e := range page {
			if err := ctx.Err(); err != nil {
				return clean, fmt.Errorf("%w: %w", ErrStopped, err)
			}
			at = e
			if p.inLedger != nil {
				p.inLedger[e.SessionID] = true
			}
			if p.selected(e.ClientID, e.CreatedAt) {
				p.rep.Ledger++
				f := Found{Source: FromLedger, UserID: e.UserID, SessionID: e.NodeID(), ClientID: e.ClientID, CreatedAt: e.CreatedAt}
				if !p.one(ctx, f, live) {
					clean = false
				}
			}
			if clean {
				p.rep.Cursor = ledgerPhase + agmigrate.LedgerCursor(e)
			}
		}
		if err := p.checkpoint(ctx); err != nil {
			return clean, err
		}
		if len(page) < p.cfg.PageSize {
			return clean, nil
		}
	}
}
