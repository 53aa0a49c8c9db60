package authgeartest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate/internal/loginid"
)

// User is a user of the fake project.
type User struct {
	// ID is the user's uuid (the sub of its access tokens). Empty: a new one.
	ID string
	// Login IDs; empty ones are not set.
	Email    string
	Phone    string // E.164
	Username string
	// Flags.
	Disabled      bool
	DisableReason string
	Deactivated   bool
	// StandardAttributes beyond the login IDs (name, given_name, …).
	StandardAttributes map[string]any
	// CustomAttributes of the user.
	CustomAttributes map[string]any
	// Roles are effective role keys, put in the access token.
	Roles []string
	// PasswordHash is the user's bcrypt password hash, if any: seeded,
	// imported, or set by createUser / resetPassword.
	PasswordHash string
	password     *passwordAuthenticator // nil for a seeded or imported hash
	originals    map[string]string      // login IDs as given (trimmed), by key

	CreatedAt time.Time
	UpdatedAt time.Time
	// LastLoginAt is set by a finished login through the authentication
	// flow API; zero when the user never signed in.
	LastLoginAt time.Time
}

// AddUser seeds a user and returns its uuid. It panics when a login ID is
// malformed or taken, since that is a mistake in the test.
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.addUserLocked(u)
	if err != nil {
		panic("authgeartest: AddUser: " + err.Error())
	}
	return id
}

func (s *Server) addUserLocked(u User) (string, error) {
	if u.ID == "" {
		u.ID = newUUID()
	}
	if _, dup := s.users[u.ID]; dup {
		return "", fmt.Errorf("user %s exists", u.ID)
	}
	if err := s.prepareLoginIDsLocked(&u); err != nil {
		return "", err
	}
	now := s.opts.Now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	cp := u
	cp.StandardAttributes = copyMap(u.StandardAttributes)
	cp.CustomAttributes = copyMap(u.CustomAttributes)
	s.users[u.ID] = &cp
	s.order = append(s.order, u.ID)
	return u.ID, nil
}

// errLoginIDTaken is returned when a new login ID has the unique key of an
// existing one (Authgear's DuplicatedIdentity).
var errLoginIDTaken = errors.New("authgeartest: identity already exists")

// prepareLoginIDsLocked does what Authgear does when it creates login IDs:
// trim, check the format, normalise, and refuse a unique key that another
// user holds. The user's fields are set to the normalised values, which is
// what Authgear stores and shows as the email / phone_number /
// preferred_username claims.
func (s *Server) prepareLoginIDsLocked(u *User) error {
	for _, key := range []string{"email", "phone", "username"} {
		val := u.loginIDValue(key)
		if val == "" {
			continue
		}
		stored, err := loginid.CheckCreate(key, val, s.loginIDOptions())
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		uk, err := loginid.UniqueKey(key, stored)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if other := s.findByUniqueKeyLocked(key, uk); other != nil && other.ID != u.ID {
			return fmt.Errorf("%s: %w", key, errLoginIDTaken)
		}
		if u.originals == nil {
			u.originals = map[string]string{}
		}
		if _, seen := u.originals[key]; !seen {
			u.originals[key] = strings.TrimSpace(val)
		}
		u.setLoginID(key, stored)
	}
	return nil
}

// loginIDOptions are the project's login-ID settings in loginid's terms.
func (s *Server) loginIDOptions() loginid.Options {
	return loginid.Options{
		EmailCaseSensitive:    s.opts.EmailCaseSensitive,
		IgnoreDotSign:         s.opts.IgnoreDotSign,
		UsernameCaseSensitive: s.opts.UsernameCaseSensitive,
	}
}

// User returns a copy of the user with uuid id.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// SetUserDisabled disables or enables a user as setDisabledStatus does:
// disabling deletes every session of the user. Asking for the state the
// user is already in changes nothing (SetDisabledStatus reports it).
func (s *Server) SetUserDisabled(id string, disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[id]; u != nil {
		_, _ = s.setDisabledLocked(u, disabled, "")
	}
}

// SetUserDeactivated deactivates or reactivates a user.
func (s *Server) SetUserDeactivated(id string, deactivated bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[id]; u != nil {
		u.Deactivated = deactivated
	}
}

// loginIDValue returns the user's login ID for a key.
func (u *User) loginIDValue(key string) string {
	switch key {
	case "email":
		return u.Email
	case "phone":
		return u.Phone
	case "username":
		return u.Username
	}
	return ""
}

func (u *User) setLoginID(key, val string) {
	switch key {
	case "email":
		u.Email = val
	case "phone":
		u.Phone = val
	case "username":
		u.Username = val
	}
}

// findByUniqueKeyLocked finds the user whose login ID of key has the
// unique key uk, as Authgear's GetByUniqueKey does.
func (s *Server) findByUniqueKeyLocked(key, uk string) *User {
	for _, id := range s.order {
		u := s.users[id]
		if u == nil {
			continue
		}
		if v := u.loginIDValue(key); v != "" {
			if k, err := loginid.UniqueKey(key, v); err == nil && k == uk {
				return u
			}
		}
	}
	return nil
}

// lookupLoginIDLocked is getUserByLoginID: the value is normalised as sent
// (no trimming, no format check) and matched on its unique key. The error
// wraps loginid.ErrInvalid when the value cannot be normalised.
func (s *Server) lookupLoginIDLocked(key, val string) (*User, error) {
	uk, err := loginid.Lookup(key, val, s.loginIDOptions())
	if err != nil {
		return nil, err
	}
	return s.findByUniqueKeyLocked(key, uk), nil
}

// findByClaimLocked finds the user whose stored (normalised) login ID of
// key equals val exactly: how the User Import API looks for an existing
// user, before any normalisation of the record's value.
func (s *Server) findByClaimLocked(key, val string) *User {
	for _, id := range s.order {
		if u := s.users[id]; u != nil && u.loginIDValue(key) == val {
			return u
		}
	}
	return nil
}

func (s *Server) hasLoginIDKey(key string) bool {
	for _, k := range s.opts.LoginIDKeys {
		if k == key {
			return true
		}
	}
	return false
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func randomString(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// standardAttributes is what the Admin API shows as standardAttributes.
func (u *User) standardAttributes() map[string]any {
	out := copyMap(u.StandardAttributes)
	if out == nil {
		out = map[string]any{}
	}
	if u.Email != "" {
		out["email"] = u.Email
		if _, ok := out["email_verified"]; !ok {
			out["email_verified"] = false
		}
	}
	if u.Phone != "" {
		out["phone_number"] = u.Phone
		if _, ok := out["phone_number_verified"]; !ok {
			out["phone_number_verified"] = false
		}
	}
	if u.Username != "" {
		out["preferred_username"] = u.Username
	}
	out["updated_at"] = u.UpdatedAt.Unix()
	return out
}
