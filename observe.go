package agmigrate

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"
)

// Outcome is what happened to one request.
type Outcome int

// Outcomes, reported once per request.
const (
	OutcomeAnonymous      Outcome = iota // no credentials, passed on
	OutcomeAuthgear                      // an Authgear session
	OutcomeRefreshed                     // an expired Authgear session refreshed
	OutcomeExchanged                     // a legacy session exchanged now
	OutcomeExchangeReused                // a legacy session exchanged before (store hit)
	OutcomeNotRolledOut                  // a legacy session outside the rollout, served as legacy
	OutcomeShadow                        // shadow mode: looked up, nothing created
	OutcomeUserMissing                   // the legacy user is not in Authgear (import gap)
	OutcomeUserDisabled                  // the user is disabled or deactivated in Authgear
	OutcomeAdminError                    // the Admin API failed; the failure policy applied
	OutcomeRefused                       // bad or missing credentials: 401, or legacy after sunset
)

var outcomeNames = [...]string{"anonymous", "authgear", "refreshed", "exchanged", "exchange_reused",
	"not_rolled_out", "shadow", "user_missing", "user_disabled", "admin_error", "refused"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Event describes one request's outcome, for metrics and logs.
type Event struct {
	Outcome  Outcome
	Source   Source
	Duration time.Duration // time spent in the middleware before the handler
	// UserID is the Authgear user, when known.
	UserID string
	// LoginID is the legacy identity's login ID, for legacy outcomes (so
	// an import gap can be listed); it is personal data, not a secret.
	LoginID string
	// Shadow is, in shadow mode, what would have happened:
	// OutcomeExchanged, OutcomeUserMissing, OutcomeUserDisabled or
	// OutcomeAdminError.
	Shadow Outcome
	// Err is the error behind a refusal or a failure, without secrets.
	Err error
}

// Observer is told the outcome of every request. Hang metrics on it:
// counts by Outcome answer how many legacy sessions still arrive, how many
// were exchanged, and which users are missing from Authgear.
type Observer interface {
	Observe(r *http.Request, e Event)
}

// StoreObserver may also be implemented by the Observer: it is told when
// the Store fails (a shared store unreachable, say). Requests go on, with
// deduplication in this process only, until the store answers again.
type StoreObserver interface {
	StoreFailed(err error)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(r *http.Request, e Event)

// Observe calls f.
func (f ObserverFunc) Observe(r *http.Request, e Event) { f(r, e) }

// hashPrefix tells entries apart in logs without revealing what they are.
func hashPrefix(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}
