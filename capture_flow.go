package agmigrate

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/verifier"
)

// The steps of one capture, merged per login ID and then per user.

// captureOnce is the merged work for one login ID: the lookup, then the
// user's password (or the user, when missing and creation is on).
func (c *Capturer) captureOnce(ctx context.Context, key, id string, password []byte) (*captured, error) {
	user, err := c.lookup(ctx, key, id, password)
	if errors.Is(err, ErrUserMissing) && c.cfg.CreateMissingUsers {
		return c.create(ctx, key, id, password)
	}
	if err != nil {
		return nil, err
	}
	return c.setIfNone(ctx, user, password)
}

// lookup finds the user under the exchange's identity rules.
func (c *Capturer) lookup(ctx context.Context, key, id string, password []byte) (*adminapi.User, error) {
	x := c.m.x
	var user *adminapi.User
	err := x.call(ctx, true, func(ctx context.Context) error {
		var err error
		user, err = x.admin.GetUserByLoginID(ctx, key, id)
		return err
	})
	switch {
	case errors.Is(err, adminapi.ErrUserNotFound), errors.Is(err, adminapi.ErrInvalidLoginID):
		return nil, ErrUserMissing
	case err != nil:
		return nil, withhold(err, password)
	case user.IsDisabled || user.IsDeactivated:
		return nil, ErrUserDisabled
	case !x.match.Match(key, id, heldLoginID(user, key)):
		// Authgear folded the login ID onto another account's: the
		// password typed for one legacy account must never become
		// another account's.
		x.log.Error("agmigrate: Authgear's lookup found a user whose login ID differs from the verified one; no password set",
			"login_id_key", key, "login_id_hash", x.loginIDHash(id), "user_id", user.ID)
		return nil, ErrLoginIDMismatch
	}
	return user, nil
}

// setIfNone sets the password when the user has none, once per user at a
// time: two spellings of one login ID ("Ann@x.com", "ann@x.com") are two
// lookups but one check and one resetPassword.
//
// The check and the reset are two calls, and Authgear cannot make them
// one: if the user sets a password at Authgear in between (a reset by
// email finished within that round trip), the legacy password, which the
// same user has just typed, replaces it. Nothing else ever overwrites a
// password the user has in Authgear.
func (c *Capturer) setIfNone(ctx context.Context, user *adminapi.User, password []byte) (*captured, error) {
	v, err, _ := c.byUser.Do(user.ID, func() (any, error) {
		x := c.m.x
		var has bool
		err := x.call(ctx, true, func(ctx context.Context) error {
			var err error
			has, err = x.admin.HasPassword(ctx, user.NodeID)
			return err
		})
		switch {
		case errors.Is(err, adminapi.ErrUserNotFound):
			return nil, ErrUserMissing // deleted since the lookup
		case err != nil:
			return nil, withhold(err, password)
		case has:
			return &captured{outcome: CaptureKept, user: user}, nil
		}
		err = c.mutate(ctx, password, func(ctx context.Context) error {
			return x.admin.ResetPassword(ctx, user.NodeID, string(password))
		})
		if err != nil {
			return nil, c.mutationError(err, password)
		}
		x.log.Info("agmigrate: legacy password set in Authgear", "user_id", user.ID)
		return &captured{outcome: CaptureSet, user: user}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*captured), nil
}

// create makes the missing user with the password. A user created in the
// meantime (by another replica's capture, an import, a sign-up) is taken
// as found, under the same checks.
func (c *Capturer) create(ctx context.Context, key, id string, password []byte) (*captured, error) {
	x := c.m.x
	var user *adminapi.User
	err := c.mutate(ctx, password, func(ctx context.Context) error {
		var err error
		user, err = x.admin.CreateUser(ctx, key, id, string(password))
		return err
	})
	if errors.Is(err, adminapi.ErrUserExists) {
		if user, err = c.lookup(ctx, key, id, password); err != nil {
			return nil, err
		}
		return c.setIfNone(ctx, user, password)
	}
	if err != nil {
		return nil, c.mutationError(err, password)
	}
	if !x.match.Match(key, id, heldLoginID(user, key)) {
		// Not expected (the login ID passed the verifier's rules), and
		// the user now exists: say so loudly rather than sign anyone in.
		x.log.Error("agmigrate: Authgear created a user whose login ID differs from the verified one; no session made",
			"login_id_key", key, "login_id_hash", x.loginIDHash(id), "user_id", user.ID)
		return nil, ErrLoginIDMismatch
	}
	x.log.Info("agmigrate: user created in Authgear with the legacy password", "user_id", user.ID)
	return &captured{outcome: CaptureCreated, user: user}, nil
}

// mutate is the one place capture's Admin API mutations (resetPassword,
// createUser, createSession) are made: each takes its call from the
// governor's Admin API mutation budget at interactive priority (a user is
// waiting at the login form; background work would wait behind every
// exchange), then goes through the exchange's circuit breaker, retried
// only when Authgear cannot have acted (a retry takes another call from
// the budget). An error that echoes the password is withheld before the
// breaker, which may log it, sees it.
func (c *Capturer) mutate(ctx context.Context, password []byte, f func(context.Context) error) error {
	ctx = WithPriority(ctx, Interactive)
	if err := c.m.Governor().Wait(ctx, CallAdminMutation, Interactive); err != nil {
		return fmt.Errorf("%w: %w", ErrAdminAPI, err)
	}
	return c.m.x.call(ctx, false, func(ctx context.Context) error { return withhold(f(ctx), password) })
}

// mutationError turns a failed mutation into capture's error: the
// password policy as *PasswordPolicyError, anything else ErrAdminAPI.
func (c *Capturer) mutationError(err error, password []byte) error {
	if errors.Is(err, adminapi.ErrPasswordPolicy) {
		pe := &PasswordPolicyError{}
		for _, v := range adminapi.PasswordPolicyViolations(err) {
			if !echoesPassword([]byte(v.String()), password) {
				pe.Violations = append(pe.Violations, v)
			}
		}
		return pe
	}
	if errors.Is(err, adminapi.ErrUserNotFound) {
		return ErrUserMissing
	}
	if !errors.Is(err, ErrAdminAPI) {
		err = fmt.Errorf("%w: %w", ErrAdminAPI, err)
	}
	return withhold(err, password)
}

// withhold replaces an error whose message holds the password, as typed
// or escaped (an Authgear or gateway message echoing a request variable,
// say: echoesPassword) with one
// that says only what kind of failure it was. A short password may match
// by chance; losing the detail of that error is the price.
func withhold(err error, password []byte) error {
	if err == nil || !echoesPassword([]byte(err.Error()), password) {
		return err
	}
	w := &withheldError{}
	for _, kind := range [...]error{ErrAdminAPI, ErrThrottled, ErrCircuitOpen, adminapi.ErrTransient, adminapi.ErrPasswordPolicy,
		adminapi.ErrUserExists, adminapi.ErrUserNotFound, adminapi.ErrInvalidInput, adminapi.ErrForbidden,
		adminapi.ErrCreateSessionDisabled, adminapi.ErrHookDisallowed} {
		if errors.Is(err, kind) {
			w.kinds = append(w.kinds, kind)
		}
	}
	return w
}

// withheldError is an error whose message was withheld; errors.Is still
// tells its kind.
type withheldError struct{ kinds []error }

func (e *withheldError) Error() string {
	return "agmigrate: Admin API failed (its message is withheld: it held the password)"
}

// Is matches the kinds the original error matched.
func (e *withheldError) Is(target error) bool {
	for _, k := range e.kinds {
		if k == target {
			return true
		}
	}
	return false
}

// failure is the Observer's outcome for a capture error, logging what ops
// need to see (the mismatch was logged where it was found).
func (c *Capturer) failure(err error, key, id string) (Outcome, error) {
	switch {
	case errors.Is(err, ErrUserMissing):
		c.m.log.Info("agmigrate: legacy user not found in Authgear; password not captured",
			"login_id_key", key, "login_id_hash", c.m.x.loginIDHash(id))
		return OutcomePasswordUserMissing, err
	case errors.Is(err, ErrUserDisabled):
		return OutcomePasswordUserDisabled, err
	case errors.Is(err, ErrLoginIDMismatch):
		return OutcomePasswordRefused, err
	case errors.Is(err, ErrPasswordPolicy):
		c.m.log.Info("agmigrate: the legacy password is below Authgear's password policy; not captured",
			"login_id_hash", c.m.x.loginIDHash(id), "error", err)
		return OutcomePasswordPolicy, err
	}
	c.m.log.Warn("agmigrate: password capture failed", "error", err)
	return OutcomePasswordCaptureFailed, err
}

// session makes the Authgear session of a captured user (Config.Session).
// It is one per call, as each sign-in makes its own session at Authgear.
func (c *Capturer) session(ctx context.Context, r *http.Request, user *adminapi.User, res *CaptureResult) {
	x := c.m.x
	var device adminapi.DeviceInfo
	if r != nil {
		device = c.m.cfg.DeviceInfo(r)
		ctx = withUserAgent(ctx, r.UserAgent())
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var sess *adminapi.Session
	err := c.mutate(ctx, nil, func(ctx context.Context) error {
		var err error
		sess, err = x.admin.CreateSession(ctx, user.NodeID, x.clientID, adminapi.MarkDeviceInfo(device))
		return err
	})
	if err != nil {
		if !errors.Is(err, ErrAdminAPI) {
			err = fmt.Errorf("%w: %w", ErrAdminAPI, err)
		}
		res.SessionErr = err
		c.m.log.Warn("agmigrate: password captured, but no Authgear session could be made", "user_id", user.ID, "error", err)
		return
	}
	x.recordSession(ctx, user, sess) // the session ledger, for package revoke (ledger.go)
	claims, verr := x.ag.Verify(ctx, sess.AccessToken)
	if verr != nil && errors.Is(verr, verifier.ErrInvalidToken) {
		// As in the exchange: usually the Admin API reached under another
		// host than the public one. Pause sessions until that is fixed.
		err := fmt.Errorf("%w: %w: %v", ErrAdminAPI, ErrUnusableSession, verr)
		x.latch(err)
		res.SessionErr = err
		return
	}
	res.Tokens = &Tokens{AccessToken: sess.AccessToken, RefreshToken: sess.RefreshToken, TokenType: sess.TokenType,
		ExpiresIn: sess.ExpiresIn, IssuedAt: c.m.now()}
	res.Claims = claims
}
