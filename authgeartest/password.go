package authgeartest

import (
	"time"
	"unicode/utf8"

	"github.com/agmigrate/agmigrate/adminapi"
	"golang.org/x/crypto/bcrypt"
)

// defaultPasswordMinLength is Authgear's default password policy.
const defaultPasswordMinLength = 8

// passwordAuthenticator is a user's primary password authenticator.
type passwordAuthenticator struct {
	id        string
	isDefault bool
	createdAt time.Time
	updatedAt time.Time
}

// checkPasswordPolicy applies the project's password policy, with
// Authgear's PasswordPolicyViolated error.
func (s *Server) checkPasswordPolicy(pw string) *fieldErr {
	min := s.opts.PasswordMinLength
	if min == 0 {
		min = defaultPasswordMinLength
	}
	if n := utf8.RuneCountInString(pw); n < min {
		return &fieldErr{msg: "password policy violated", name: "Invalid", reason: "PasswordPolicyViolated", info: map[string]any{
			"causes": []any{map[string]any{"Name": "PasswordTooShort", "Info": map[string]any{"min_length": min, "pw_length": n}}},
		}}
	}
	return nil
}

// setPasswordLocked stores a password, creating the password authenticator
// when the user has none. The hash uses bcrypt's lowest cost: this is a
// test server, and its speed matters more than the hash's strength.
func (s *Server) setPasswordLocked(u *User, pw string, isDefault bool) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		return // only for passwords over 72 bytes; the policy has no maximum, so keep the old state
	}
	now := s.opts.Now()
	u.PasswordHash = string(h)
	if u.password == nil {
		u.password = &passwordAuthenticator{id: newUUID(), isDefault: isDefault, createdAt: now}
	}
	u.password.updatedAt = now
}

// passwordAuthLocked returns the user's password authenticator, if any.
// A seeded or imported hash counts as one.
func (u *User) passwordAuth() *passwordAuthenticator {
	if u.PasswordHash == "" {
		return nil
	}
	if u.password != nil {
		return u.password
	}
	return &passwordAuthenticator{id: u.ID + "-password", createdAt: u.CreatedAt, updatedAt: u.CreatedAt}
}

// resetPasswordLocked sets a user's password as an admin does: no old
// password needed, the policy applies, and a user without a password gets
// a password authenticator (not the default one).
func (ex *executor) resetPasswordLocked(in map[string]any) (any, *fieldErr) {
	s := ex.s
	u, fe := s.userFromInputLocked(in)
	if fe != nil {
		return nil, fe
	}
	pw, ok := in["password"].(string)
	if !ok {
		// Authgear generates a password when none is given.
		pw = randomString(16)
	}
	if fe := s.checkPasswordPolicy(pw); fe != nil {
		return nil, fe
	}
	oldHash, oldAuth := u.PasswordHash, u.password
	var cp *passwordAuthenticator
	if oldAuth != nil {
		c := *oldAuth
		cp = &c
	}
	s.setPasswordLocked(u, pw, false)
	ex.undo = append(ex.undo, func() { u.PasswordHash, u.password = oldHash, cp })
	return payload{"ResetPasswordPayload", u}, nil
}

// CheckPassword reports whether password is the password of the user with
// the login ID (under a configured key, matched as a sign-in would). It
// checks the password only (a disabled user's password still checks), and
// creates no session and does not touch lastLoginAt, unlike a sign-in
// through the authentication flow API, which does both (LoginSessions).
func (s *Server) CheckPassword(loginID, password string) bool {
	s.mu.Lock()
	var hash string
	for _, key := range s.opts.LoginIDKeys {
		u, err := s.lookupLoginIDLocked(key, loginID)
		if err == nil && u != nil {
			hash = u.PasswordHash
			break
		}
	}
	s.mu.Unlock()
	if hash == "" {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

type authenticatorNode struct {
	u *User
	a *passwordAuthenticator
}

func (authenticatorNode) typeName() string { return "Authenticator" }

func (o authenticatorNode) field(_ *executor, name string, _ map[string]any) (any, *fieldErr) {
	switch name {
	case "id":
		return adminapi.NodeID("Authenticator", o.a.id), nil
	case "type":
		return "PASSWORD", nil
	case "kind":
		return "PRIMARY", nil
	case "isDefault":
		return o.a.isDefault, nil
	case "expireAfter":
		return nil, nil
	case "claims":
		return map[string]any{}, nil
	case "createdAt":
		return datetime(o.a.createdAt), nil
	case "updatedAt":
		return datetime(o.a.updatedAt), nil
	}
	return nil, nil
}
