package exports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// auth0Line is one line of either Auth0 file: the bulk user export (user
// profile fields under their documented names) or the password hash
// export (_id, alt_id, passwordHash, identifiers).
type auth0Line struct {
	UserID        string         `json:"user_id"`
	Email         string         `json:"email"`
	EmailVerified *bool          `json:"email_verified"`
	Username      string         `json:"username"`
	PhoneNumber   string         `json:"phone_number"`
	PhoneVerified *bool          `json:"phone_verified"`
	Name          string         `json:"name"`
	GivenName     string         `json:"given_name"`
	FamilyName    string         `json:"family_name"`
	Nickname      string         `json:"nickname"`
	Picture       string         `json:"picture"`
	Blocked       *bool          `json:"blocked"`
	UserMetadata  map[string]any `json:"user_metadata"`
	AppMetadata   map[string]any `json:"app_metadata"`
	Identities    []struct {
		Provider   string `json:"provider"`
		Connection string `json:"connection"`
		IsSocial   bool   `json:"isSocial"`
	} `json:"identities"`

	OID *struct {
		OID string `json:"$oid"`
	} `json:"_id"`
	AltID        string `json:"alt_id"`
	PasswordHash string `json:"passwordHash"`
	Connection   string `json:"connection"`
	Identifiers  []struct {
		Type     string `json:"type"`
		Value    string `json:"value"`
		Verified bool   `json:"verified"`
	} `json:"identifiers"`
}

// isHashLine tells the password hash export's lines from the bulk export's.
func (l *auth0Line) isHashLine() bool { return l.OID != nil }

// id is the Auth0 user_id; for a hash export line it is built as Auth0
// documents: "auth0|" and alt_id when present, else the _id's $oid.
func (l *auth0Line) id() string {
	if !l.isHashLine() {
		return l.UserID
	}
	if l.AltID != "" {
		return "auth0|" + l.AltID
	}
	return "auth0|" + l.OID.OID
}

// email falls back on the identifiers array, where Auth0 says the email
// always is even when the root fields are missing.
func (l *auth0Line) email() (string, *bool) {
	if l.Email != "" {
		return l.Email, l.EmailVerified
	}
	for _, id := range l.Identifiers {
		if id.Type == "email" && id.Value != "" {
			v := id.Verified
			return id.Value, &v
		}
	}
	return "", nil
}

func readNDJSON[T any](r io.Reader, p Provider, what string) ([]T, error) {
	b, err := readAll(r, p)
	if err != nil {
		return nil, err
	}
	var out []T
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			return nil, formatErr(p, fmt.Sprintf("%s line %d is not a JSON object", what, n))
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		return nil, formatErr(p, what+": a line is too long")
	}
	return out, nil
}

// ReadAuth0 reads Auth0's bulk user export (NDJSON, the JSON-compatible
// format of POST /api/v2/jobs/users-exports) and, from opts.Auth0Hashes,
// its password hash export. The hash export alone is also accepted as the
// main file. Auth0's hashes are bcrypt and are imported as they are.
func ReadAuth0(r io.Reader, opts Options) ([]User, error) {
	lines, err := readNDJSON[auth0Line](r, Auth0, "export")
	if err != nil {
		return nil, err
	}
	var hashLines []auth0Line
	if opts.Auth0Hashes != nil {
		if hashLines, err = readNDJSON[auth0Line](opts.Auth0Hashes, Auth0, "hash export"); err != nil {
			return nil, err
		}
	}
	byID := map[string]int{}
	byEmail := map[string]int{} // -1: two hash lines share the email
	for i := range hashLines {
		byID[hashLines[i].id()] = i
		if e, _ := hashLines[i].email(); e != "" {
			k := asciiLower(e)
			if _, dup := byEmail[k]; dup {
				byEmail[k] = -1
			} else {
				byEmail[k] = i
			}
		}
	}
	// A hash line a bulk user names by ID is that user's alone: the email
	// fallback below never hands it to another account of the same email.
	claimed := make([]bool, len(hashLines))
	for i := range lines {
		if j, ok := byID[lines[i].UserID]; ok && !lines[i].isHashLine() {
			claimed[j] = true
		}
	}
	used := make([]bool, len(hashLines))
	var users []User
	for i := range lines {
		l := &lines[i]
		u := auth0User(l, opts)
		if l.isHashLine() {
			users = append(users, u)
			continue
		}
		j, ok := byID[l.UserID]
		if !ok && l.Email != "" {
			// Auth0 lets one email hold several accounts, one per
			// connection (a verified social login next to a database
			// account signed up without confirming it): only a hash line
			// of the user's own database connection, unclaimed and the
			// only one with that email, matched without Unicode folding,
			// is taken as the user's.
			k, found := byEmail[asciiLower(l.Email)]
			ok = found && k >= 0 && !claimed[k] && auth0InConnection(l, hashLines[k].Connection)
			j = k
		}
		switch {
		case ok && !used[j]:
			used[j] = true
			if hashLines[j].PasswordHash != "" {
				u.setPassword(opts, hashLines[j].PasswordHash)
			}
		case auth0Social(l) != "":
			u.notCarried("identity %s: a social login; the user signs in with it once the provider is configured in Authgear", truncate(auth0Social(l)))
		default:
			u.notCarried("password: Auth0's bulk export holds no hashes (ask Auth0 support for the password hash export and pass it too)")
		}
		users = append(users, u)
	}
	for j := range hashLines {
		if !used[j] {
			u := auth0User(&hashLines[j], opts)
			u.notCarried("profile: only in the password hash export, so only email and password are carried")
			users = append(users, u)
		}
	}
	return users, nil
}

// auth0InConnection reports whether l has a database (not social)
// identity in connection c.
func auth0InConnection(l *auth0Line, c string) bool {
	for _, id := range l.Identities {
		if !id.IsSocial && c != "" && id.Connection == c {
			return true
		}
	}
	return false
}

// asciiLower lowercases A-Z only: Unicode's folding would take look-alikes
// (the Kelvin sign for "k") for the letters they imitate.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

func auth0Social(l *auth0Line) string {
	for _, id := range l.Identities {
		if id.IsSocial {
			return id.Provider
		}
	}
	return ""
}

func auth0User(l *auth0Line, opts Options) User {
	u := User{LegacyID: l.id()}
	rec := &u.Record
	email, verified := l.email()
	rec.Email, rec.EmailVerified = str(email), verified
	if rec.Email == nil {
		rec.EmailVerified = nil
	}
	if l.isHashLine() {
		if l.PasswordHash != "" {
			u.setPassword(opts, l.PasswordHash)
		}
		return u
	}
	rec.PreferredUsername = str(l.Username)
	u.setPhone("phone_number", l.PhoneNumber, l.PhoneVerified)
	rec.GivenName, rec.FamilyName = str(l.GivenName), str(l.FamilyName)
	// Auth0 fills name with the email when nothing better is known.
	if l.Name != email {
		rec.Name = str(l.Name)
	}
	rec.Nickname, rec.Picture = str(l.Nickname), str(l.Picture)
	if l.Blocked != nil && *l.Blocked {
		rec.Disabled = boolPtr(true)
	}
	u.customAttrs(opts, "user_metadata", l.UserMetadata)
	u.customAttrs(opts, "app_metadata", l.AppMetadata)
	return u
}
