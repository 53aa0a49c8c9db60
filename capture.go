package agmigrate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/verifier"
	"golang.org/x/sync/singleflight"
)

// Password capture: users who were not logged in at cut-over have no
// legacy session to exchange, and users whose hash Authgear cannot import
// (Firebase scrypt, argon2, PBKDF2, phpass, every Cognito user) have no
// password in Authgear. When such a user signs in at the legacy login and
// the legacy system accepts the password, the app hands that password to
// a Capturer, which sets it in Authgear (resetPassword, not sent, not
// expired) if the user has none there yet. Authgear has no lazy-migration
// hook of its own; this is one, run from the app's side.

// ErrPasswordPolicy: Authgear's password policy refuses the legacy
// password (too short, say). Nothing was set or created; the user keeps
// signing in at the legacy login, or chooses a new password at Authgear.
// The error is a *PasswordPolicyError, which says which rules.
var ErrPasswordPolicy = errors.New("agmigrate: the password does not meet the project's password policy")

// PasswordPolicyError is the ErrPasswordPolicy a capture got, with the
// rules the password broke as Authgear reports them (lengths and counts,
// never the password). It also matches adminapi.ErrPasswordPolicy.
type PasswordPolicyError struct {
	Violations []adminapi.PolicyViolation
}

func (e *PasswordPolicyError) Error() string {
	if len(e.Violations) == 0 {
		return ErrPasswordPolicy.Error()
	}
	names := make([]byte, 0, 32)
	for i, v := range e.Violations {
		if i > 0 {
			names = append(names, ", "...)
		}
		names = append(names, v.Name...)
	}
	return ErrPasswordPolicy.Error() + " (" + string(names) + ")"
}

// Is matches ErrPasswordPolicy and adminapi.ErrPasswordPolicy.
func (e *PasswordPolicyError) Is(target error) bool {
	return target == ErrPasswordPolicy || target == adminapi.ErrPasswordPolicy
}

// CaptureConfig configures a Capturer. The zero value sets missing
// passwords of existing users and does nothing else.
type CaptureConfig struct {
	// CreateMissingUsers creates the user in Authgear, with the password
	// (createUser), when no user has the login ID. Authgear fires its
	// user.pre_create and user.created hooks for it. Default false: a user
	// missing from Authgear is an import gap, answered ErrUserMissing.
	CreateMissingUsers bool
	// Session creates an Authgear session for the user once the password
	// is captured (or was there already), marked like the exchange's, and
	// hands it back in CaptureResult.Tokens; Handler delivers it with the
	// middleware's Delivery, so the user lands logged in at Authgear.
	// Needs createSession enabled for the project. Default false.
	Session bool
	// LoginID holds the verifier's rules for login IDs: a login ID they
	// refuse (one Authgear would fold onto another value) is refused here
	// too. Only UnsafeAllowUnicodeFolding is read, and it should be what
	// the legacy verifier has; the key comes with each call. Default: the
	// strict rules of verifier.NormalizeLoginID.
	LoginID verifier.LoginID
	// Timeout bounds one capture, retries included. Default: the
	// middleware's ExchangeTimeout (10 s).
	Timeout time.Duration
	// Verified says whether the legacy system has verified that the
	// account it just signed in holds the login ID: the email address
	// confirmed, the phone number checked. A legacy account with an
	// unconfirmed address must not set the password of, or get a session
	// at, the Authgear account that owns that address, so email and phone
	// login IDs are refused (ErrLoginIDUnverified) unless Verified says
	// true. Usernames need no verification. Required for email and phone
	// login IDs, unless UnsafeAllowUnverified.
	Verified func(ctx context.Context, loginIDKey, loginID string) (bool, error)
	// UnsafeAllowUnverified captures email and phone login IDs without
	// asking Verified. Only for a legacy system that never lets an account
	// with an unconfirmed address or number sign in.
	UnsafeAllowUnverified bool
}

// ErrLoginIDUnverified: the legacy system did not vouch for the email
// address or phone number (CaptureConfig.Verified), so nothing is set.
// It also matches verifier.ErrEmailVerified.
var ErrLoginIDUnverified = fmt.Errorf("agmigrate: capture: the legacy account's login ID is not verified: %w", verifier.ErrEmailVerified)

// CaptureOutcome says what a capture did.
type CaptureOutcome int

// Capture outcomes; a capture that did nothing returns an error instead.
const (
	// CaptureSet: this call set the password in Authgear.
	CaptureSet CaptureOutcome = iota + 1
	// CaptureJoined: a concurrent sign-in of the same user was capturing
	// at the same moment; this call waited for it and set nothing itself.
	CaptureJoined
	// CaptureKept: the user already had a password in Authgear; nothing
	// changed (a password the user has there is never overwritten).
	CaptureKept
	// CaptureCreated: no user had the login ID and one was created with
	// the password (CaptureConfig.CreateMissingUsers).
	CaptureCreated
)

func (o CaptureOutcome) String() string {
	switch o {
	case CaptureSet:
		return "set"
	case CaptureJoined:
		return "joined"
	case CaptureKept:
		return "kept"
	case CaptureCreated:
		return "created"
	}
	return "unknown"
}

// CaptureResult is what a capture did for the user.
type CaptureResult struct {
	Outcome CaptureOutcome
	// UserID is the Authgear user's uuid.
	UserID string
	// Tokens and Claims are the Authgear session made for the user, with
	// CaptureConfig.Session; nil otherwise, or when the session could
	// not be made (SessionErr says why: the password was captured all the
	// same).
	Tokens     *Tokens
	Claims     *verifier.AuthgearClaims
	SessionErr error
}

// Capturer sets legacy passwords in Authgear at the legacy login. Create
// it once with NewCapturer and share it: concurrent sign-ins of one user
// are merged through it. Safe for concurrent use.
type Capturer struct {
	m       *Middleware
	cfg     CaptureConfig
	timeout time.Duration
	byLogin singleflight.Group // one lookup per login ID at a time
	byUser  singleflight.Group // one authenticator check and resetPassword per user at a time
}

// NewCapturer returns the password capture of m: the same Admin API
// client, identity rules (LoginIDMatch), failure handling, Delivery,
// Observer, Logger and clock.
func NewCapturer(m *Middleware, cfg CaptureConfig) (*Capturer, error) {
	if m == nil {
		return nil, &ConfigError{Field: "Capturer", Reason: "needs the middleware (agmigrate.New)"}
	}
	if cfg.Timeout < 0 {
		return nil, &ConfigError{Field: "CaptureConfig.Timeout", Reason: "must not be negative"}
	}
	if cfg.LoginID.Key == "" {
		cfg.LoginID.Key = "email"
	}
	return &Capturer{m: m, cfg: cfg, timeout: orDefault(cfg.Timeout, m.x.timeout)}, nil
}

// CapturePassword hands Authgear the password the legacy system has just
// accepted for the login ID (under loginIDKey: "email", "phone" or
// "username"). Call it right after the legacy check succeeded, and never
// otherwise: the password is set as the user's without another check.
//
// It finds the user as the exchange does (the login ID must pass the
// verifier's rules, and the login ID Authgear holds for the user it finds
// must equal it under LoginIDMatch, else ErrLoginIDMismatch; an email or
// phone login ID needs CaptureConfig.Verified's word, else
// ErrLoginIDUnverified), then sets
// the password only when the user has none in Authgear. Errors say why
// nothing was set: ErrUserMissing, ErrUserDisabled, ErrLoginIDMismatch,
// verifier.ErrLoginID, ErrPasswordPolicy (*PasswordPolicyError),
// ErrAdminAPI (also ErrThrottled). None of them concerns the legacy
// sign-in, which goes on as before.
//
// The password is used for this call only: it is never logged, stored or
// put in an error. CapturePassword does not keep password or write to it;
// the caller owns it and should clear it after the call. Authgear's Admin
// API takes the password as a GraphQL variable, so it is converted to a Go
// string and encoded in the request body; Go strings cannot be zeroed and
// those copies are left to the garbage collector. The call waits for the
// capture it started or joined, at most the capture timeout, even when
// ctx ends, so no work holding the password outlives it.
func (c *Capturer) CapturePassword(ctx context.Context, loginIDKey, loginID string, password []byte) (*CaptureResult, error) {
	return c.capture(ctx, nil, loginIDKey, loginID, password)
}

// CaptureRequest is CapturePassword for the legacy login request r: the
// Observer is given r, and the session (CaptureConfig.Session) is
// described with the middleware's DeviceInfo for r. Deliver hands the
// session to the client.
func (c *Capturer) CaptureRequest(r *http.Request, loginIDKey, loginID string, password []byte) (*CaptureResult, error) {
	return c.capture(r.Context(), r, loginIDKey, loginID, password)
}

// Deliver hands the session of res (if any) to the client with the
// middleware's Delivery, before anything of the response is written.
func (c *Capturer) Deliver(w http.ResponseWriter, r *http.Request, res *CaptureResult) {
	if res == nil || res.Tokens == nil {
		return
	}
	c.m.cfg.Delivery.Deliver(w, r, res.Tokens)
	noStore(w)
}

// captured is what one merged capture found and did; the first caller to
// claim a change reports it as its own.
type captured struct {
	outcome CaptureOutcome
	user    *adminapi.User
	claimed atomic.Bool
}

func (c *Capturer) capture(ctx context.Context, r *http.Request, key, loginID string, password []byte) (*CaptureResult, error) {
	start := time.Now()
	ev := Event{Source: SourceLegacy}
	res, err := c.run(ctx, r, key, loginID, password, &ev)
	if c.m.cfg.Observer != nil {
		ev.Duration = time.Since(start)
		if res != nil {
			ev.UserID = res.UserID
		}
		c.m.cfg.Observer.Observe(r, ev)
	}
	return res, err
}

func (c *Capturer) run(ctx context.Context, r *http.Request, key, loginID string, password []byte, ev *Event) (*CaptureResult, error) {
	rules := c.cfg.LoginID
	rules.Key = key
	id, err := rules.Normalize(loginID)
	switch {
	case err != nil:
	case len(password) == 0:
		err = errEmptyPassword
	case len(password) > MaxCapturePassword:
		err = errLongPassword
	}
	if err == nil {
		err = c.checkVerified(ctx, key, id)
	}
	if err != nil {
		if !errors.Is(err, ErrLoginIDUnverified) {
			err = fmt.Errorf("agmigrate: capture: %w", err)
		}
		ev.Outcome, ev.Err = OutcomePasswordRefused, err
		return nil, err
	}
	ev.LoginID = id
	// Waited for whatever ctx says: the flight holds the password, and
	// must not go on after this call returns.
	v, err, _ := c.byLogin.Do(key+"\x00"+id, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		return c.captureOnce(fctx, key, id, password)
	})
	if err != nil {
		ev.Outcome, ev.Err = c.failure(err, key, id)
		ev.Throttled = errors.Is(err, ErrThrottled)
		return nil, err
	}
	got := v.(*captured)
	res := &CaptureResult{Outcome: got.outcome, UserID: got.user.ID}
	// singleflight marks the leader's result shared too: the first caller
	// to take a change is the one told it made it, the others joined.
	if got.outcome != CaptureKept && !got.claimed.CompareAndSwap(false, true) {
		res.Outcome = CaptureJoined
	}
	ev.Outcome = captureOutcomes[res.Outcome]
	if c.cfg.Session {
		c.session(ctx, r, got.user, res)
	}
	return res, nil
}

// MaxCapturePassword is the longest password a Capturer hands to
// Authgear, in bytes (as package passwords checks them); a longer one is
// refused without any call.
const MaxCapturePassword = 1024

var (
	// errEmptyPassword refuses a call without a password: resetPassword
	// would make Authgear generate one.
	errEmptyPassword = errors.New("no password given")
	errLongPassword  = errors.New("password longer than MaxCapturePassword")
)

var captureOutcomes = map[CaptureOutcome]Outcome{
	CaptureSet: OutcomePasswordCaptured, CaptureJoined: OutcomePasswordCaptureJoined,
	CaptureKept: OutcomePasswordKept, CaptureCreated: OutcomePasswordUserCreated,
}

// checkVerified asks the app whether the legacy system vouches for an
// email or phone login ID. An error from Verified refuses too: the capture
// is safe to skip, the legacy sign-in goes on.
func (c *Capturer) checkVerified(ctx context.Context, key, id string) error {
	if key == "username" || c.cfg.UnsafeAllowUnverified {
		return nil
	}
	if c.cfg.Verified == nil {
		return fmt.Errorf("%w (set CaptureConfig.Verified, or UnsafeAllowUnverified)", ErrLoginIDUnverified)
	}
	ok, err := c.cfg.Verified(ctx, key, id)
	if err != nil || !ok {
		return ErrLoginIDUnverified
	}
	return nil
}
