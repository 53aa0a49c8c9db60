package agmigrate

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/agmigrate/agmigrate/verifier"
	"golang.org/x/sync/singleflight"
)

// shadowCache remembers, per legacy token, what an exchange would do, so
// shadow mode costs one lookup per token per NegativeTTL.
type shadowCache struct {
	mu sync.Mutex
	m  map[string]shadowEntry
	sf singleflight.Group
}

type shadowEntry struct {
	o   Outcome
	exp time.Time
}

// shadowLookup finds what would happen to this legacy session, without
// creating anything.
func (m *Middleware) shadowLookup(ctx context.Context, lt string, lid *verifier.LegacyIdentity) Outcome {
	key := storeKey("s", lt)
	c := &m.shadow
	c.mu.Lock()
	if e, ok := c.m[key]; ok && m.now().Before(e.exp) {
		c.mu.Unlock()
		return e.o
	}
	c.mu.Unlock()
	v, _, _ := c.sf.Do(key, func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.x.timeout)
		defer cancel()
		o := OutcomeExchanged
		err := m.x.call(lctx, true, func(ctx context.Context) error {
			u, err := m.x.admin.GetUserByLoginID(ctx, lid.LoginIDKey, lid.LoginID)
			if err == nil && (u.IsDisabled || u.IsDeactivated) {
				o = OutcomeUserDisabled
			} else if err == nil && !m.x.match.Match(lid.LoginIDKey, lid.LoginID, heldLoginID(u, lid.LoginIDKey)) {
				o = OutcomeLoginIDMismatch
			}
			return err
		})
		switch {
		case err == nil:
		case errors.Is(err, ErrAdminAPI):
			return OutcomeAdminError, nil // not remembered: try again next time
		default:
			o = OutcomeUserMissing
		}
		c.mu.Lock()
		if c.m == nil || len(c.m) > 10000 {
			c.m = map[string]shadowEntry{}
		}
		c.m[key] = shadowEntry{o: o, exp: m.now().Add(m.x.negTTL)}
		c.mu.Unlock()
		return o, nil
	})
	return v.(Outcome)
}
