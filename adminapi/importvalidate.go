package adminapi

import (
	"encoding/base32"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/agmigrate/agmigrate/internal/loginid"
)

// ErrInvalidRecords is matched by the *InvalidRecordsError Import returns
// when records fail validation.
var ErrInvalidRecords = errors.New("adminapi: invalid import records")

// The kinds of RecordProblem that are not JSON Schema keywords. The schema
// ones ("required", "type", "format", "enum", "minLength", "minItems") are
// spelt as Authgear spells them in its error causes.
const (
	// KindDuplicatedIdentity: records that Authgear would store as one login
	// ID (equal after its normalisation). Authgear fails all but one of them
	// inside the job, or every one of them when the user exists already.
	KindDuplicatedIdentity = "DuplicatedIdentity"
	// KindNotNormalized: an identifier not in the form Authgear stores.
	// Authgear matches existing users on the value exactly as sent, so this
	// spelling fails as DuplicatedIdentity when the user exists instead of
	// being skipped or updated. NormalizeImport rewrites it.
	KindNotNormalized = "NotNormalized"
	// KindInvalidLoginID: a login ID Authgear refuses to create.
	KindInvalidLoginID = "InvalidLoginID"
	// KindRoleUnknownKeys and KindGroupUnknownKeys: keys the project does
	// not have (checked only when ImportProject lists them).
	KindRoleUnknownKeys  = "RoleUnknownKeys"
	KindGroupUnknownKeys = "GroupUnknownKeys"
	// KindBcrypt: a password hash that is not bcrypt. Authgear fails such a
	// record with a bare internal error and no location.
	KindBcrypt = "bcrypt"
)

// RecordProblem is one reason Authgear would refuse a record.
type RecordProblem struct {
	// Index is the position in ImportRequest.Records; -1 for the request.
	Index int
	// Location is a JSON pointer into the record (or the request when Index
	// is -1), as in Authgear's error causes: "/email", "/password/type",
	// "/address/country". For a missing field it names the field itself
	// (Authgear names the parent and lists the field in details.missing).
	Location string
	// Kind is Authgear's cause kind ("format", "required", "minLength", …)
	// or one of the Kind constants.
	Kind string
	// Problem says what is wrong in words. It never quotes the value.
	Problem string
}

func (p RecordProblem) String() string {
	if p.Index < 0 {
		return fmt.Sprintf("request %s: %s: %s", p.Location, p.Kind, p.Problem)
	}
	return fmt.Sprintf("record %d %s: %s: %s", p.Index, p.Location, p.Kind, p.Problem)
}

// InvalidRecordsError lists every problem found; nothing was sent.
type InvalidRecordsError struct {
	Problems []RecordProblem
}

func (e *InvalidRecordsError) Error() string {
	msg := fmt.Sprintf("adminapi: %d problem(s) in import records", len(e.Problems))
	if len(e.Problems) > 0 {
		msg += ", first: " + e.Problems[0].String()
	}
	return msg
}

// Is matches ErrInvalidRecords.
func (e *InvalidRecordsError) Is(target error) bool { return target == ErrInvalidRecords }

// ImportProject describes the Authgear project records are imported into,
// so that validation refuses what that project would. The zero value is a
// project with Authgear's default login ID settings whose roles and groups
// are not checked.
type ImportProject struct {
	// RoleKeys and GroupKeys are the project's role and group keys. When
	// non-nil, a record naming another key is refused, as Authgear fails it
	// (RoleUnknownKeys, GroupUnknownKeys). Nil: not checked.
	RoleKeys, GroupKeys []string
	// EmailCaseSensitive, EmailIgnoreDotSign and UsernameCaseSensitive are
	// the project's identity.login_id.types settings (all false by default);
	// they decide which login IDs Authgear treats as one.
	EmailCaseSensitive, EmailIgnoreDotSign, UsernameCaseSensitive bool
	// UsernameAllowNonASCII mirrors types.username.ascii_only: false.
	UsernameAllowNonASCII bool
}

func (p ImportProject) loginIDOptions() loginid.Options {
	return loginid.Options{
		EmailCaseSensitive:    p.EmailCaseSensitive,
		IgnoreDotSign:         p.EmailIgnoreDotSign,
		UsernameCaseSensitive: p.UsernameCaseSensitive,
		UsernameAllowNonASCII: p.UsernameAllowNonASCII,
	}
}

var (
	// E.164: a plus, a non-zero country code digit, at most 15 digits.
	e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	// Modular crypt format of bcrypt: $2a$, $2b$ or $2y$, a two-digit cost,
	// then 53 characters of bcrypt's base64 (22 salt, 31 hash).
	bcryptHash = regexp.MustCompile(`^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$`)
)

// problems collects the problems of one request.
type problems []RecordProblem

func (ps *problems) add(i int, loc, kind, format string, args ...any) {
	*ps = append(*ps, RecordProblem{Index: i, Location: loc, Kind: kind, Problem: fmt.Sprintf(format, args...)})
}

// ValidateImport checks records the way Authgear checks them inside the
// import job (where a bad record is only reported as failed once the job
// has run), so problems show up before upload: the record schema (the
// identifier present, formats of emails, phone numbers, URLs, birthdates,
// time zones and locales, non-empty strings, address fields as strings,
// bcrypt only), well-formed bcrypt hashes, role and group keys the project
// has (req.Project), and login IDs: creatable, in the form Authgear stores,
// and not shared by two records after Authgear's normalisation (every
// record of such a group is refused, since the server would treat them as
// one user). Problems come in record order.
func ValidateImport(req ImportRequest) []RecordProblem {
	switch req.Identifier {
	case IdentifierEmail, IdentifierPhone, IdentifierUsername:
	default:
		return []RecordProblem{{Index: -1, Location: "/identifier", Kind: "enum", Problem: "must be email, phone_number or preferred_username"}}
	}
	if len(req.Records) == 0 {
		return []RecordProblem{{Index: -1, Location: "/records", Kind: "minItems", Problem: "no records"}}
	}
	var ps problems
	opts := req.Project.loginIDOptions()
	dups := newDuplicates()
	for i := range req.Records {
		r := &req.Records[i]
		checkIdentity(&ps, i, r, req.Identifier, opts, dups)
		checkAttributes(&ps, i, r)
		checkRolesGroups(&ps, i, "/roles", r.Roles, req.Project.RoleKeys, KindRoleUnknownKeys, "role")
		checkRolesGroups(&ps, i, "/groups", r.Groups, req.Project.GroupKeys, KindGroupUnknownKeys, "group")
		checkPassword(&ps, i, r.Password, "/password")
		checkMFA(&ps, i, r.MFA)
		if r.AccountValidFrom != nil && r.AccountValidUntil != nil && !r.AccountValidFrom.Before(*r.AccountValidUntil) {
			ps.add(i, "/account_valid_until", "range", "not after account_valid_from")
		}
		for _, f := range r.Null {
			switch {
			case f == string(req.Identifier):
				ps.add(i, "/"+f, "type", "the identifier cannot be null")
			case !nullable[f]:
				ps.add(i, "/"+f, "type", "cannot be null")
			}
		}
	}
	ps = append(ps, dups.problems()...)
	slices.SortStableFunc(ps, func(a, b RecordProblem) int { return a.Index - b.Index })
	return ps
}

// identityField is one of the record fields that become login IDs.
type identityField struct {
	field Identifier // the record field
	key   string     // Authgear's login ID key for it
}

var identityFields = []identityField{
	{IdentifierEmail, loginid.KeyEmail},
	{IdentifierPhone, loginid.KeyPhone},
	{IdentifierUsername, loginid.KeyUsername},
}

func checkIdentity(ps *problems, i int, r *ImportRecord, id Identifier, o loginid.Options, dups *duplicates) {
	if v := identifierValue(r, id); v == nil {
		ps.add(i, "/"+string(id), "required", "missing: it is the identifier of this import")
	}
	for _, f := range identityFields {
		v := identifierValue(r, f.field)
		if v == nil {
			continue
		}
		loc := "/" + string(f.field)
		switch {
		case f.field == IdentifierEmail && !validEmail(*v):
			ps.add(i, loc, "format", "not an email address (a bare address, no name or angle brackets)")
			continue
		case f.field == IdentifierPhone && !e164.MatchString(*v):
			ps.add(i, loc, "format", "not in E.164 form such as +85291234567")
			continue
		case f.field == IdentifierUsername && *v == "":
			ps.add(i, loc, "minLength", "empty")
			continue
		}
		stored, err := loginid.CheckCreate(f.key, *v, o)
		if err != nil {
			ps.add(i, loc, KindInvalidLoginID, "Authgear refuses this login ID (%s)", problemOf(err))
			continue
		}
		unique, err := loginid.UniqueKey(f.key, stored)
		if err != nil {
			ps.add(i, loc, KindInvalidLoginID, "Authgear refuses this login ID (%s)", problemOf(err))
			continue
		}
		dups.add(f.field, unique, i)
		if f.field == id && stored != *v {
			ps.add(i, loc, KindNotNormalized, "not in the form Authgear stores (trimmed, case-folded, NFKC): "+
				"an existing user would fail as DuplicatedIdentity instead of being matched; normalise it first (NormalizeImport)")
		}
	}
}

// problemOf is the reason of a loginid error without the package prefix.
func problemOf(err error) string {
	s := err.Error()
	if _, rest, ok := strings.Cut(s, ": "); ok && strings.HasPrefix(s, "loginid:") {
		// "loginid: invalid login ID value: <why>" → "<why>"
		if _, why, ok := strings.Cut(rest, ": "); ok {
			return why
		}
		return rest
	}
	return s
}

// duplicates groups records by the unique key of each login ID they carry.
type duplicates struct {
	groups map[Identifier]map[string][]int
}

func newDuplicates() *duplicates {
	return &duplicates{groups: map[Identifier]map[string][]int{}}
}

func (d *duplicates) add(f Identifier, unique string, i int) {
	m := d.groups[f]
	if m == nil {
		m = map[string][]int{}
		d.groups[f] = m
	}
	m[unique] = append(m[unique], i)
}

func (d *duplicates) problems() []RecordProblem {
	var ps problems
	for _, f := range identityFields {
		for _, idx := range d.groups[f.field] {
			if len(idx) < 2 {
				continue
			}
			for _, i := range idx {
				others := make([]string, 0, len(idx)-1)
				for _, j := range idx {
					if j != i {
						others = append(others, strconv.Itoa(j))
					}
				}
				ps.add(i, "/"+string(f.field), KindDuplicatedIdentity,
					"the same login ID as record(s) %s after Authgear's normalisation: Authgear would treat them as one user", strings.Join(others, ", "))
			}
		}
	}
	return ps
}

func checkRolesGroups(ps *problems, i int, loc string, keys, known []string, kind, what string) {
	var unknown []string
	for j, k := range keys {
		switch {
		case k == "":
			ps.add(i, loc+"/"+strconv.Itoa(j), "minLength", "empty %s key", what)
		case known != nil && !slices.Contains(known, k):
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if len(unknown) > 0 {
		ps.add(i, loc, kind, "the project has no %s %s", what, strings.Join(unknown, ", "))
	}
}

func checkPassword(ps *problems, i int, p *ImportPassword, loc string) {
	switch {
	case p == nil:
	case p.Type != "bcrypt":
		ps.add(i, loc+"/type", "enum", "Authgear imports bcrypt hashes only")
	case p.PasswordHash == "":
		ps.add(i, loc+"/password_hash", "minLength", "empty")
	case !bcryptHash.MatchString(p.PasswordHash):
		ps.add(i, loc+"/password_hash", KindBcrypt, "not a bcrypt hash ($2a$/$2b$/$2y$, cost, 53 characters)")
	}
}

func checkMFA(ps *problems, i int, m *ImportMFA) {
	if m == nil {
		return
	}
	if m.Email != nil && !validEmail(*m.Email) {
		ps.add(i, "/mfa/email", "format", "not an email address")
	}
	if m.PhoneNumber != nil && !e164.MatchString(*m.PhoneNumber) {
		ps.add(i, "/mfa/phone_number", "format", "not in E.164 form")
	}
	checkPassword(ps, i, m.Password, "/mfa/password")
	if m.TOTP != nil {
		sec := strings.ToUpper(strings.TrimRight(m.TOTP.Secret, "="))
		if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(sec); err != nil || sec == "" {
			ps.add(i, "/mfa/totp/secret", "format", "not a base32 secret")
		}
	}
}

func identifierValue(r *ImportRecord, id Identifier) *string {
	switch id {
	case IdentifierEmail:
		return r.Email
	case IdentifierPhone:
		return r.PhoneNumber
	case IdentifierUsername:
		return r.PreferredUsername
	}
	return nil
}

// NormalizeImport returns req with every login ID field (email,
// phone_number, preferred_username) rewritten to the form Authgear stores
// for the project, so existing users are matched (skipped or updated)
// rather than failed as DuplicatedIdentity. Values Authgear would refuse
// are left as they are, for ValidateImport to report. It returns how many
// values changed; req's records are not modified.
func NormalizeImport(req ImportRequest) (ImportRequest, int) {
	o := req.Project.loginIDOptions()
	out := req
	out.Records = slices.Clone(req.Records)
	changed := 0
	for i := range out.Records {
		r := &out.Records[i]
		for _, f := range identityFields {
			p := identityPointer(r, f.field)
			if *p == nil {
				continue
			}
			stored, err := loginid.CheckCreate(f.key, **p, o)
			if err != nil || stored == **p {
				continue
			}
			*p = &stored
			changed++
		}
	}
	return out, changed
}

func identityPointer(r *ImportRecord, f Identifier) **string {
	switch f {
	case IdentifierEmail:
		return &r.Email
	case IdentifierPhone:
		return &r.PhoneNumber
	default:
		return &r.PreferredUsername
	}
}
