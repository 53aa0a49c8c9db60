package authgeartest

import (
	"crypto/rand"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"
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
	// PasswordHash is an imported bcrypt hash, if any.
	PasswordHash string

	CreatedAt time.Time
	UpdatedAt time.Time
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
	if u.Email != "" {
		if err := checkEmail(u.Email); err != nil {
			return "", err
		}
	}
	if _, dup := s.users[u.ID]; dup {
		return "", fmt.Errorf("user %s exists", u.ID)
	}
	for _, l := range []struct{ key, val string }{{"email", u.Email}, {"phone", u.Phone}, {"username", u.Username}} {
		if l.val == "" {
			continue
		}
		norm, err := normalizeLoginID(l.key, l.val)
		if err != nil {
			return "", fmt.Errorf("%s %q: %v", l.key, l.val, err)
		}
		if s.findLocked(l.key, norm) != nil {
			return "", fmt.Errorf("%s %q is taken", l.key, l.val)
		}
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

// SetUserDisabled disables or enables a user.
func (s *Server) SetUserDisabled(id string, disabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[id]; u != nil {
		u.Disabled = disabled
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

// findLocked finds a user by an already normalised login ID.
func (s *Server) findLocked(key, norm string) *User {
	for _, id := range s.order {
		u := s.users[id]
		if u == nil {
			continue
		}
		if v := u.loginIDValue(key); v != "" {
			if n, err := normalizeLoginID(key, v); err == nil && n == norm {
				return u
			}
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

var phoneInput = regexp.MustCompile(`^ *\+[0-9 \-]*$`)

// normalizeLoginID normalises a login ID the way Authgear's lookup does,
// without trimming (Authgear's getUserByLoginID does not trim). Email: the
// domain and, by default, the local part are case-folded. Username:
// case-folded. Phone: "+", digits, spaces and hyphens, normalised to E.164.
// Case folding here is Unicode lower-casing, close to but not exactly
// Authgear's PRECIS rules; phone numbers are checked for length only, not
// with libphonenumber's per-country rules.
func normalizeLoginID(key, v string) (string, error) {
	switch key {
	case "email":
		// Only the shape that lets the address be split is required here:
		// Authgear's lookup answers "  a@b.c  " with no user, not an error.
		at := strings.LastIndexByte(v, '@')
		if at <= 0 || at == len(v)-1 {
			return "", fmt.Errorf("not an email address")
		}
		return strings.ToLower(v[:at]) + "@" + strings.ToLower(v[at+1:]), nil
	case "username":
		if v == "" || strings.ContainsAny(v, " \t\r\n") {
			return "", fmt.Errorf("not a username")
		}
		return strings.ToLower(v), nil
	case "phone":
		if !phoneInput.MatchString(v) {
			return "", fmt.Errorf("not a phone number with a leading +")
		}
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, v)
		if len(digits) < 7 || len(digits) > 15 || digits[0] == '0' {
			return "", fmt.Errorf("not a possible phone number")
		}
		return "+" + digits, nil
	}
	return "", fmt.Errorf("unknown login ID key")
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

// checkEmail is the stricter check for creating a login ID.
func checkEmail(v string) error {
	a, err := mail.ParseAddress(v)
	if err != nil {
		return fmt.Errorf("invalid email address: %v", err)
	}
	if a.Address != v || a.Name != "" {
		return fmt.Errorf("invalid email address: not a bare address")
	}
	return nil
}
