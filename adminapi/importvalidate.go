package adminapi

import (
	"encoding/base32"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
)

// ErrInvalidRecords is matched by the *InvalidRecordsError Import returns
// when records fail validation.
var ErrInvalidRecords = errors.New("adminapi: invalid import records")

// RecordProblem is one reason Authgear would refuse a record.
type RecordProblem struct {
	Index   int    // position in ImportRequest.Records; -1 for the request
	Field   string // the record field, e.g. "phone_number"
	Problem string
}

func (p RecordProblem) String() string {
	if p.Index < 0 {
		return fmt.Sprintf("request: %s: %s", p.Field, p.Problem)
	}
	return fmt.Sprintf("record %d: %s: %s", p.Index, p.Field, p.Problem)
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

var (
	// E.164: a plus, a non-zero country code digit, at most 15 digits.
	e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	// Modular crypt format of bcrypt: $2a$, $2b$ or $2y$, a two-digit cost,
	// then 53 characters of bcrypt's base64 (22 salt, 31 hash).
	bcryptHash = regexp.MustCompile(`^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$`)
)

// ValidateImport checks records the way Authgear would inside the import
// job, so problems show up before upload rather than as failed outcomes
// later: the identifier field present in every record and unique within
// the request, emails well formed, phone numbers in E.164, only bcrypt
// password hashes (well formed), TOTP secrets in base32, non-empty roles
// and groups, account_valid_from before account_valid_until, and Null only
// on nullable fields other than the identifier.
func ValidateImport(req ImportRequest) []RecordProblem {
	var ps []RecordProblem
	switch req.Identifier {
	case IdentifierEmail, IdentifierPhone, IdentifierUsername:
	default:
		return []RecordProblem{{Index: -1, Field: "identifier", Problem: fmt.Sprintf("%q is not email, phone_number or preferred_username", req.Identifier)}}
	}
	if len(req.Records) == 0 {
		return []RecordProblem{{Index: -1, Field: "records", Problem: "no records"}}
	}
	seen := make(map[string]int, len(req.Records))
	for i := range req.Records {
		r := &req.Records[i]
		add := func(field, format string, args ...any) {
			ps = append(ps, RecordProblem{Index: i, Field: field, Problem: fmt.Sprintf(format, args...)})
		}
		id := identifierValue(r, req.Identifier)
		switch {
		case id == nil || *id == "":
			add(string(req.Identifier), "missing: it is the identifier of this import")
		default:
			key := strings.ToLower(strings.TrimSpace(*id))
			if first, dup := seen[key]; dup {
				add(string(req.Identifier), "same value as record %d", first)
			} else {
				seen[key] = i
			}
		}
		if r.Email != nil && !validEmail(*r.Email) {
			add("email", "not a valid email address")
		}
		if r.PhoneNumber != nil && !e164.MatchString(*r.PhoneNumber) {
			add("phone_number", "not in E.164 form such as +85291234567")
		}
		if r.PreferredUsername != nil && strings.TrimSpace(*r.PreferredUsername) == "" {
			add("preferred_username", "empty")
		}
		if r.AccountValidFrom != nil && r.AccountValidUntil != nil && !r.AccountValidFrom.Before(*r.AccountValidUntil) {
			add("account_valid_until", "not after account_valid_from")
		}
		for _, f := range []struct {
			name string
			vals []string
		}{{"roles", r.Roles}, {"groups", r.Groups}} {
			if slices.Contains(f.vals, "") {
				add(f.name, "contains an empty string")
			}
		}
		checkPassword(r.Password, "password", add)
		if m := r.MFA; m != nil {
			if m.Email != nil && !validEmail(*m.Email) {
				add("mfa.email", "not a valid email address")
			}
			if m.PhoneNumber != nil && !e164.MatchString(*m.PhoneNumber) {
				add("mfa.phone_number", "not in E.164 form")
			}
			checkPassword(m.Password, "mfa.password", add)
			if m.TOTP != nil {
				sec := strings.ToUpper(strings.TrimRight(m.TOTP.Secret, "="))
				if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(sec); err != nil || sec == "" {
					add("mfa.totp.secret", "not a base32 secret")
				}
			}
		}
		for _, f := range r.Null {
			switch {
			case f == string(req.Identifier):
				add(f, "the identifier cannot be null")
			case !nullable[f]:
				add(f, "cannot be null")
			}
		}
	}
	return ps
}

func checkPassword(p *ImportPassword, field string, add func(string, string, ...any)) {
	switch {
	case p == nil:
	case p.Type != "bcrypt":
		add(field+".type", "%q: Authgear imports bcrypt hashes only", p.Type)
	case !bcryptHash.MatchString(p.PasswordHash):
		add(field+".password_hash", "not a bcrypt hash ($2a$/$2b$/$2y$, cost, 53 characters)")
	}
}

func identifierValue(r *ImportRecord, id Identifier) *string {
	switch id {
	case IdentifierEmail:
		return r.Email
	case IdentifierPhone:
		return r.PhoneNumber
	default:
		return r.PreferredUsername
	}
}

// validEmail accepts a bare address (no display name, no angle brackets).
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}
