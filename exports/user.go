package exports

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/passwords"
	"github.com/agmigrate/agmigrate/verifier"
)

// ErrFormat is matched by the errors the readers return for a file that is
// not the export they read. Messages say where (a line or an index), never
// what the file holds.
var ErrFormat = errors.New("exports: not in the provider's export format")

// MaxExportSize is the largest export file read into memory.
const MaxExportSize = 1 << 30

// Provider names the system an export comes from.
type Provider string

// The providers whose exports are read.
const (
	Auth0    Provider = "auth0"
	Firebase Provider = "firebase"
	Cognito  Provider = "cognito"
	Okta     Provider = "okta"
	Keycloak Provider = "keycloak"
)

// Providers lists every provider, in the order the documentation uses.
var Providers = []Provider{Auth0, Firebase, Cognito, Okta, Keycloak}

// Options steer a conversion.
type Options struct {
	// Identifier is the import's identifier; it also chooses the login ID
	// a sidecar entry is filed under. Default: email.
	Identifier adminapi.Identifier
	// CustomAttributes names the custom attributes configured in the
	// Authgear project. A provider attribute of the same name (Auth0
	// user_metadata or app_metadata key, Firebase custom claim, Cognito
	// custom:NAME, Okta profile property, Keycloak user attribute) is
	// carried over; the others are listed as not carried, since Authgear
	// fails a record with an unknown custom attribute.
	CustomAttributes []string
	// NoRoles leaves roles and groups out (Keycloak realm roles and
	// groups). Authgear fails a record naming a role or group the project
	// does not have, so create them first or set NoRoles.
	NoRoles bool
	// Firebase is the Firebase project's password hash parameters. Without
	// them Firebase hashes cannot be checked and are not carried.
	Firebase *passwords.FirebaseParams
	// Auth0Hashes is Auth0's password hash export (NDJSON, from a support
	// request), joined to the bulk export by user ID, then by email within
	// the user's own database connection (never a line another user's ID
	// names, nor an email two lines share).
	Auth0Hashes io.Reader
}

func (o Options) identifier() adminapi.Identifier {
	if o.Identifier == "" {
		return adminapi.IdentifierEmail
	}
	return o.Identifier
}

// User is one converted user.
type User struct {
	// LegacyID is the user's ID in the provider (Auth0 user_id, Firebase
	// localId, Cognito sub, Okta id, Keycloak id).
	LegacyID string
	// Record is what is sent to Authgear's User Import API.
	Record adminapi.ImportRecord
	// Hash is the user's password hash when Authgear cannot import it; it
	// belongs in the sidecar file. Nil otherwise.
	Hash *passwords.Entry
	// NotCarried lists, in words, what of this user the import leaves
	// behind.
	NotCarried []string
}

func (u *User) notCarried(format string, args ...any) {
	u.NotCarried = append(u.NotCarried, fmt.Sprintf(format, args...))
}

// Read reads one provider's export.
func Read(p Provider, r io.Reader, opts Options) ([]User, error) {
	switch p {
	case Auth0:
		return ReadAuth0(r, opts)
	case Firebase:
		return ReadFirebase(r, opts)
	case Cognito:
		return ReadCognito(r, opts)
	case Okta:
		return ReadOkta(r, opts)
	case Keycloak:
		return ReadKeycloak(r, opts)
	}
	return nil, fmt.Errorf("exports: unknown provider %q (want one of auth0, firebase, cognito, okta, keycloak)", truncate(string(p)))
}

// SidecarEntries collects the hashes of users for a sidecar file.
func SidecarEntries(users []User) []passwords.Entry {
	var out []passwords.Entry
	for _, u := range users {
		if u.Hash == nil {
			continue
		}
		e := *u.Hash
		switch e.LoginIDKey {
		case "email":
			e.Verified = u.Record.EmailVerified != nil && *u.Record.EmailVerified
		case "phone":
			e.Verified = u.Record.PhoneNumberVerified != nil && *u.Record.PhoneNumberVerified
		}
		out = append(out, e)
	}
	return out
}

func readAll(r io.Reader, p Provider) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxExportSize+1))
	if err != nil {
		return nil, fmt.Errorf("exports: %s: %w", p, err)
	}
	if len(b) > MaxExportSize {
		return nil, fmt.Errorf("exports: %s: the export is larger than %d bytes: %w", p, MaxExportSize, ErrFormat)
	}
	return b, nil
}

func formatErr(p Provider, where string) error {
	return fmt.Errorf("exports: %s: %s: %w", p, where, ErrFormat)
}

// e164 is what Authgear's import takes: a plus, then 7 to 15 digits.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// bcryptHash is the bcrypt form Authgear's import accepts.
var bcryptHash = regexp.MustCompile(`^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$`)

// phoneE164 brings a phone number to E.164 when it says its country: it
// drops spaces, dots, hyphens and brackets, and reads a leading 00 as +.
// A national number (no country code) cannot be placed and is refused.
func phoneE164(s string) (string, bool) {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	out := b.String()
	if strings.HasPrefix(out, "00") {
		out = "+" + out[2:]
	}
	return out, e164.MatchString(out)
}

// setPhone fills the record's phone number or says why it could not.
func (u *User) setPhone(field, raw string, verified *bool) {
	if raw == "" {
		return
	}
	p, ok := phoneE164(raw)
	if !ok {
		u.notCarried("%s: not an international number (E.164 needs the country code)", field)
		return
	}
	u.Record.PhoneNumber = &p
	u.Record.PhoneNumberVerified = verified
}

// str returns a pointer to a trimmed s, or nil for an empty one.
func str(s string) *string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return &s
}

func boolPtr(b bool) *bool { return &b }

// customAttrs carries the attributes Options.CustomAttributes names from
// attrs, and lists the others (by name only) as not carried.
func (u *User) customAttrs(opts Options, origin string, attrs map[string]any) {
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if slices.Contains(opts.CustomAttributes, k) {
			if u.Record.CustomAttributes == nil {
				u.Record.CustomAttributes = map[string]any{}
			}
			if _, dup := u.Record.CustomAttributes[k]; !dup {
				u.Record.CustomAttributes[k] = attrs[k]
			}
			continue
		}
		u.notCarried("%s.%s: not a configured custom attribute", origin, truncate(k))
	}
}

// hashEntry files a hash under the import's identifier. It reports false
// (and says so on the user) when the user has no such login ID.
func (u *User) hashEntry(opts Options, e passwords.Entry) bool {
	var key string
	var id *string
	switch opts.identifier() {
	case adminapi.IdentifierPhone:
		key, id = "phone", u.Record.PhoneNumber
	case adminapi.IdentifierUsername:
		key, id = "username", u.Record.PreferredUsername
	default:
		key, id = "email", u.Record.Email
	}
	if id == nil {
		u.notCarried("password: the user has no %s to file its %s hash under", opts.identifier(), e.Format)
		return false
	}
	if _, err := verifier.NormalizeLoginID(key, *id); err != nil {
		// A look-alike ("\u212aate@" for "kate@"): Authgear folds it onto
		// another value, so a sidecar entry could be found for, and its
		// password captured into, someone else's account. Capture refuses
		// such login IDs too.
		u.notCarried("password: the %s is one Authgear would fold onto another value (or refuses), so its %s hash is not filed", opts.identifier(), e.Format)
		return false
	}
	e.LoginIDKey, e.LoginID, e.LegacyID = key, *id, u.LegacyID
	u.Hash = &e
	return true
}

// setPassword imports a bcrypt hash, or files any other hash the
// passwords package reads in the sidecar.
func (u *User) setPassword(opts Options, hash string) {
	// bcrypt goes to Authgear whatever its cost: Authgear checks it, not
	// this process, so the verifiers' bounds do not apply.
	if b := strings.TrimPrefix(hash, "bcrypt$"); bcryptHash.MatchString(b) {
		u.Record.Password = &adminapi.ImportPassword{Type: "bcrypt", PasswordHash: b}
		return
	}
	v, err := passwords.Parse(hash)
	if err != nil {
		u.notCarried("password: the hash is not in a format agmigrate can check (%s)", reason(err))
		return
	}
	u.hashEntry(opts, passwords.Entry{Format: v.Format(), Hash: hash})
}

// reason is an error's kind without the package prefix.
func reason(err error) string {
	var fe *passwords.FormatError
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return "unreadable"
}

// truncate keeps names from an export short in messages.
func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}
