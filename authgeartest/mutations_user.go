package authgeartest

import (
	"errors"
	"fmt"

	"github.com/agmigrate/agmigrate/adminapi"
)

func userNotFound() *fieldErr {
	return &fieldErr{msg: "user not found", name: "NotFound", reason: "UserNotFound"}
}

// duplicatedIdentity is Authgear's answer to a login ID whose unique key
// another user holds (createUser, import).
func duplicatedIdentity(key string) *fieldErr {
	return &fieldErr{msg: "identity already exists", name: "Invalid", reason: "InvariantViolated", info: map[string]any{
		"IdentityTypeExisting": "login_id", "IdentityTypeIncoming": "login_id",
		"LoginIDTypeExisting": key, "LoginIDTypeIncoming": key,
		"cause": map[string]any{"kind": "DuplicatedIdentity"},
	}}
}

// userFromInputLocked resolves input.userID as Authgear does: a User node ID
// of an existing user.
func (s *Server) userFromInputLocked(in map[string]any) (*User, *fieldErr) {
	nodeID, _ := in["userID"].(string)
	id, err := adminapi.UserIDFromNodeID(nodeID)
	if err != nil {
		return nil, invalid("invalid user ID")
	}
	u := s.users[id]
	if u == nil {
		return nil, userNotFound()
	}
	return u, nil
}

// createUserLocked creates a user with one login ID and, optionally, a
// password under the project's password policy. The blocking
// user.pre_create hook runs before the user is kept; user.created is sent
// after the request commits.
func (ex *executor) createUserLocked(in map[string]any) (any, *fieldErr) {
	s := ex.s
	def, _ := in["definition"].(map[string]any)
	lid, _ := def["loginID"].(map[string]any)
	if lid == nil {
		return nil, invalid("invalid identity definition")
	}
	key, _ := lid["key"].(string)
	val, _ := lid["value"].(string)
	if !s.hasLoginIDKey(key) {
		return nil, invalid("invalid login ID key")
	}
	u := User{}
	u.setLoginID(key, val)
	if err := s.prepareLoginIDsLocked(&u); err != nil {
		if errors.Is(err, errLoginIDTaken) {
			return nil, duplicatedIdentity(key)
		}
		return nil, &fieldErr{msg: "invalid login ID", name: "Invalid", reason: "ValidationFailed"}
	}
	pw, hasPassword := in["password"].(string)
	if hasPassword {
		if fe := s.checkPasswordPolicy(pw); fe != nil {
			return nil, fe
		}
	}
	u.ID = newUUID()
	if fe := ex.runPreCreateHookLocked(&u); fe != nil {
		return nil, fe
	}
	id, err := s.addUserLocked(u)
	if err != nil {
		if errors.Is(err, errLoginIDTaken) {
			return nil, duplicatedIdentity(key)
		}
		return nil, invalid(err.Error())
	}
	nu := s.users[id]
	if hasPassword {
		s.setPasswordLocked(nu, pw, true)
	}
	ex.undo = append(ex.undo, func() { s.removeUserLocked(id) })
	ex.afterCommit = append(ex.afterCommit, ex.userCreatedEventLocked(nu))
	return payload{"CreateUserPayload", nu}, nil
}

// removeUserLocked undoes a user creation.
func (s *Server) removeUserLocked(id string) {
	delete(s.users, id)
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
}

func accountStatus(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "normal"
}

// setDisabledStatusLocked disables or re-enables a user. Disabling deletes
// every session of the user at once; re-enabling brings none back; a
// transition to the state the user is already in is an error.
func (ex *executor) setDisabledStatusLocked(in map[string]any) (any, *fieldErr) {
	s := ex.s
	u, fe := s.userFromInputLocked(in)
	if fe != nil {
		return nil, fe
	}
	disabled, _ := in["isDisabled"].(bool)
	reason, _ := in["reason"].(string)
	undo, fe := s.setDisabledLocked(u, disabled, reason)
	if fe != nil {
		return nil, fe
	}
	ex.undo = append(ex.undo, undo)
	return payload{"SetDisabledStatusPayload", u}, nil
}

// setDisabledLocked is the state change behind setDisabledStatus and the
// Go helpers. It returns a function that undoes it.
func (s *Server) setDisabledLocked(u *User, disabled bool, reason string) (func(), *fieldErr) {
	if u.Disabled == disabled {
		from, to := accountStatus(u.Disabled), accountStatus(disabled)
		return nil, &fieldErr{msg: fmt.Sprintf("invalid account status transition: %s -> %s", from, to),
			name: "Invalid", reason: "InvalidAccountStatusTransition", info: map[string]any{"from": from, "to": to}}
	}
	was, wasReason := u.Disabled, u.DisableReason
	u.Disabled = disabled
	u.DisableReason = ""
	var restore func()
	if disabled {
		u.DisableReason = reason
		restore = s.deleteUserGrantsLocked(u.ID)
	}
	u.UpdatedAt = s.opts.Now()
	return func() {
		u.Disabled, u.DisableReason = was, wasReason
		if restore != nil {
			restore()
		}
	}, nil
}

// updateUserLocked replaces the user's standard and custom attributes. The
// login-ID claims stay those of the user's identities.
func (ex *executor) updateUserLocked(in map[string]any) (any, *fieldErr) {
	s := ex.s
	u, fe := s.userFromInputLocked(in)
	if fe != nil {
		return nil, fe
	}
	oldStd, oldCustom, oldUpdated := u.StandardAttributes, u.CustomAttributes, u.UpdatedAt
	if std, ok := in["standardAttributes"].(map[string]any); ok {
		attrs := copyMap(std)
		for _, k := range []string{"email", "phone_number", "preferred_username", "email_verified", "phone_number_verified", "updated_at"} {
			delete(attrs, k)
		}
		u.StandardAttributes = attrs
	}
	if custom, ok := in["customAttributes"].(map[string]any); ok {
		u.CustomAttributes = copyMap(custom)
	}
	u.UpdatedAt = s.opts.Now()
	ex.undo = append(ex.undo, func() { u.StandardAttributes, u.CustomAttributes, u.UpdatedAt = oldStd, oldCustom, oldUpdated })
	return payload{"UpdateUserPayload", u}, nil
}

// ErrInvalidAccountStatusTransition is returned by SetDisabledStatus for a
// user already in the state asked for, as Authgear's
// InvalidAccountStatusTransition error.
var ErrInvalidAccountStatusTransition = errors.New("authgeartest: invalid account status transition")

// ErrUserNotFound is returned by helpers given a user uuid the fake does
// not hold.
var ErrUserNotFound = errors.New("authgeartest: user not found")

// SetDisabledStatus does what the setDisabledStatus mutation does: disabling
// deletes every session of the user, re-enabling restores none, and asking
// for the state the user is in fails with ErrInvalidAccountStatusTransition.
func (s *Server) SetDisabledStatus(userID string, disabled bool, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userID]
	if u == nil {
		return ErrUserNotFound
	}
	if _, fe := s.setDisabledLocked(u, disabled, reason); fe != nil {
		return fmt.Errorf("%w: %s", ErrInvalidAccountStatusTransition, fe.msg)
	}
	return nil
}
