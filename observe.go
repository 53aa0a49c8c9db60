package agmigrate

import (
	"crypto/hmac"
	"crypto/rand"
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
	// OutcomeLoginIDMismatch: Authgear's lookup found a user whose login
	// ID is not the verified one (ErrLoginIDMismatch); no session, served
	// as legacy. Count it: it is either an attack or an identifier that
	// needs the LoginIDMatch policy looked at.
	OutcomeLoginIDMismatch
	// OutcomeExchangeJoined: a legacy session whose exchange another
	// request of this process was making at the same time; it got the
	// same session. Only the request that made it reports OutcomeExchanged,
	// so counting that outcome counts migrated users.
	OutcomeExchangeJoined
	// OutcomeSessionEnded: a legacy token whose Authgear session has ended
	// (user disabled, session revoked, EndLegacySession): it is spent, and
	// the request got 401 "sign in again" (or legacy service with
	// ServeEndedAsLegacy).
	OutcomeSessionEnded
	// OutcomeThrottled: a legacy session whose exchange the governor held
	// back (too many exchanges waiting, the Admin API budget spent) or
	// Authgear refused with 429; the failure policy applied (served as
	// legacy and exchanged on a later request, or 503 with Retry-After).
	// Not a failure of Authgear: the breaker does not count it.
	OutcomeThrottled
	// OutcomePasswordCaptured: a password capture (Capturer) set the
	// password the legacy login accepted in Authgear, for a user who had
	// none there. Counting it counts captured passwords.
	OutcomePasswordCaptured
	// OutcomePasswordCaptureJoined: a capture that a concurrent sign-in of
	// the same user was making; it set nothing itself.
	OutcomePasswordCaptureJoined
	// OutcomePasswordKept: the user already had a password in Authgear;
	// capture changed nothing.
	OutcomePasswordKept
	// OutcomePasswordUserCreated: capture created the missing user with
	// the password (CaptureConfig.CreateMissingUsers).
	OutcomePasswordUserCreated
	// OutcomePasswordPolicy: the legacy password is below the project's
	// password policy (ErrPasswordPolicy); nothing set.
	OutcomePasswordPolicy
	// OutcomePasswordUserMissing: capture found no Authgear user for the
	// login ID, creation off (an import gap; Event.LoginID names it).
	OutcomePasswordUserMissing
	// OutcomePasswordUserDisabled: the user is disabled or deactivated in
	// Authgear; nothing set.
	OutcomePasswordUserDisabled
	// OutcomePasswordRefused: capture refused the login ID (one Authgear
	// would fold, or whose Authgear account holds another login ID:
	// ErrLoginIDMismatch) or got no password; nothing set.
	OutcomePasswordRefused
	// OutcomePasswordCaptureFailed: the Admin API failed or the governor
	// held the capture back (Event.Throttled); nothing set, the next
	// legacy sign-in tries again.
	OutcomePasswordCaptureFailed
)

var outcomeNames = [...]string{"anonymous", "authgear", "refreshed", "exchanged", "exchange_reused",
	"not_rolled_out", "shadow", "user_missing", "user_disabled", "admin_error", "refused",
	"login_id_mismatch", "exchange_joined", "session_ended", "throttled",
	"password_captured", "password_capture_joined", "password_kept", "password_user_created", "password_policy",
	"password_user_missing", "password_user_disabled", "password_refused", "password_capture_failed"}

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
	// OutcomeExchanged, OutcomeUserMissing, OutcomeUserDisabled,
	// OutcomeLoginIDMismatch or OutcomeAdminError.
	Shadow Outcome
	// Err is the error behind a refusal or a failure, without secrets.
	Err error
	// Throttled: a call to Authgear this request needed was held back by
	// the governor or answered 429 (ErrThrottled): an exchange
	// (OutcomeThrottled) or a refresh, which is tried again on a later
	// request while the cookies stay.
	Throttled bool

	tokens bool // the response sets or clears tokens: never cacheable
}

// Observer is told the outcome of every request. Hang metrics on it:
// counts by Outcome answer how many legacy sessions still arrive, how many
// were exchanged, and which users are missing from Authgear.
// Password capture reports its outcomes here too (OutcomePassword…),
// with r nil when CapturePassword was called without a request.
type Observer interface {
	Observe(r *http.Request, e Event)
}

// StoreObserver may also be implemented by the Observer: it is told when
// the Store fails (a shared store unreachable, say). Requests go on, with
// deduplication in this process only, until the store answers again.
type StoreObserver interface {
	StoreFailed(err error)
}

// EvictionObserver may also be implemented by the Observer: it is told
// when the in-memory store, being full, drops an exchange that was still
// live. The legacy token of that exchange would then make a second session
// if presented again: raise the store's size, or use a shared store.
type EvictionObserver interface {
	StoreEvicted()
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(r *http.Request, e Event)

// Observe calls f.
func (f ObserverFunc) Observe(r *http.Request, e Event) { f(r, e) }

// processHashKey keys login-ID hashes in logs when Config.LogHashKey is
// not set: random per process, so a hash cannot be matched against the
// hashes of known addresses (an unkeyed hash can).
var processHashKey = func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("agmigrate: crypto/rand: " + err.Error())
	}
	return k
}()

// keyedHash tells values apart in logs without revealing them: the first
// 12 bytes of HMAC-SHA256 under key, in hex.
func keyedHash(key []byte, s string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(s))
	return hex.EncodeToString(mac.Sum(nil)[:12])
}

// hashPrefix hashes under the process key.
func hashPrefix(s string) string { return keyedHash(processHashKey, s) }
