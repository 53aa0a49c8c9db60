package adminapi

import (
	"encoding/json"
	"fmt"
	"time"
)

// ImportRecord is one user in Authgear's import format. A nil field is left
// out of the request (on upsert: left as it is). To clear an attribute on
// upsert, name it in Null; it is then sent as JSON null.
type ImportRecord struct {
	Email               *string `json:"email,omitempty"`
	PhoneNumber         *string `json:"phone_number,omitempty"` // E.164, e.g. "+85291234567"
	PreferredUsername   *string `json:"preferred_username,omitempty"`
	EmailVerified       *bool   `json:"email_verified,omitempty"`
	PhoneNumberVerified *bool   `json:"phone_number_verified,omitempty"`
	Disabled            *bool   `json:"disabled,omitempty"`

	AccountValidFrom  *time.Time `json:"account_valid_from,omitempty"`
	AccountValidUntil *time.Time `json:"account_valid_until,omitempty"`

	Name       *string        `json:"name,omitempty"`
	GivenName  *string        `json:"given_name,omitempty"`
	FamilyName *string        `json:"family_name,omitempty"`
	MiddleName *string        `json:"middle_name,omitempty"`
	Nickname   *string        `json:"nickname,omitempty"`
	Profile    *string        `json:"profile,omitempty"`
	Picture    *string        `json:"picture,omitempty"`
	Website    *string        `json:"website,omitempty"`
	Gender     *string        `json:"gender,omitempty"`
	Birthdate  *string        `json:"birthdate,omitempty"`
	Zoneinfo   *string        `json:"zoneinfo,omitempty"`
	Locale     *string        `json:"locale,omitempty"`
	Address    map[string]any `json:"address,omitempty"`

	CustomAttributes map[string]any `json:"custom_attributes,omitempty"`
	Roles            []string       `json:"roles,omitempty"`
	Groups           []string       `json:"groups,omitempty"`

	Password *ImportPassword `json:"password,omitempty"`
	MFA      *ImportMFA      `json:"mfa,omitempty"`

	// Null lists attributes to send as null (removed on upsert). Only the
	// nullable ones are allowed: the identity fields other than the
	// identifier, and the standard attributes.
	Null []string `json:"-"`
}

// ImportPassword is a password hash to import. Authgear accepts bcrypt only.
type ImportPassword struct {
	Type         string     `json:"type"` // "bcrypt"
	PasswordHash string     `json:"password_hash"`
	ExpireAfter  *time.Time `json:"expire_after,omitempty"`
}

// ImportMFA holds second factors to import.
type ImportMFA struct {
	Email       *string         `json:"email,omitempty"`
	PhoneNumber *string         `json:"phone_number,omitempty"`
	Password    *ImportPassword `json:"password,omitempty"`
	TOTP        *ImportTOTP     `json:"totp,omitempty"`
}

// ImportTOTP is a TOTP secret (base32) to import.
type ImportTOTP struct {
	Secret string `json:"secret"`
}

// nullable lists the record fields Authgear lets be null.
var nullable = map[string]bool{
	"email": true, "phone_number": true, "preferred_username": true,
	"name": true, "given_name": true, "family_name": true, "middle_name": true,
	"nickname": true, "profile": true, "picture": true, "website": true,
	"gender": true, "birthdate": true, "zoneinfo": true, "locale": true, "address": true,
}

// MarshalJSON writes the record with the fields named in Null as null.
func (r *ImportRecord) MarshalJSON() ([]byte, error) {
	type plain ImportRecord
	b, err := json.Marshal((*plain)(r))
	if err != nil || len(r.Null) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, f := range r.Null {
		if !nullable[f] {
			return nil, fmt.Errorf("adminapi: field %q cannot be null", f)
		}
		m[f] = json.RawMessage("null")
	}
	return json.Marshal(m)
}

// Str returns a pointer to s, for filling ImportRecord fields.
func Str(s string) *string { return &s }

// Bool returns a pointer to b, for filling ImportRecord fields.
func Bool(b bool) *bool { return &b }
