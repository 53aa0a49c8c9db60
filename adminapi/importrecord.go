package adminapi

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
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

// checkAttributes checks the standard attributes against the schema
// Authgear's import job applies (pkg/lib/authn/stdattrs): names and gender
// non-empty; profile and website absolute URLs; picture an http(s) or
// authgearimages URL; birthdate, zoneinfo and locale in their formats; the
// address fields strings.
func checkAttributes(ps *problems, i int, r *ImportRecord) {
	for _, a := range []struct {
		loc string
		v   *string
	}{{"/name", r.Name}, {"/given_name", r.GivenName}, {"/family_name", r.FamilyName},
		{"/middle_name", r.MiddleName}, {"/nickname", r.Nickname}, {"/gender", r.Gender}} {
		if a.v != nil && *a.v == "" {
			ps.add(i, a.loc, "minLength", "empty: leave the field out instead")
		}
	}
	for _, a := range []struct {
		loc   string
		v     *string
		check func(string) string
	}{
		{"/profile", r.Profile, checkURI},
		{"/website", r.Website, checkURI},
		{"/picture", r.Picture, checkPicture},
		{"/birthdate", r.Birthdate, checkBirthdate},
		{"/zoneinfo", r.Zoneinfo, checkZoneinfo},
		{"/locale", r.Locale, checkLocale},
	} {
		if a.v == nil {
			continue
		}
		if why := a.check(*a.v); why != "" {
			ps.add(i, a.loc, "format", "%s", why)
		}
	}
	// The address schema lists its fields as non-empty strings and allows
	// other keys (it has no additionalProperties: false).
	for _, k := range []string{"country", "formatted", "locality", "postal_code", "region", "street_address"} {
		v, ok := r.Address[k]
		if !ok {
			continue
		}
		switch s, isString := v.(string); {
		case !isString:
			ps.add(i, "/address/"+k, "type", "must be a string, not %s", jsonType(v))
		case s == "":
			ps.add(i, "/address/"+k, "minLength", "empty")
		}
	}
}

// jsonType names a decoded JSON value's type as JSON Schema does.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, float32, int, int64, json.Number:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// checkURI is Authgear's "uri" format: absolute, with a host, and a clean
// absolute path.
func checkURI(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "not a URL"
	}
	if u.Scheme == "" || u.Host == "" {
		return "not an absolute URL (scheme and host, e.g. https://example.com/)"
	}
	return checkAbsPath(u.EscapedPath())
}

// checkAbsPath is Authgear's absolute-path rule: empty, or absolute and
// already clean (no "..", no "//").
func checkAbsPath(p string) string {
	if p == "" {
		p = "/"
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && !strings.HasSuffix(clean, "/") {
		clean += "/"
	}
	if !path.IsAbs(p) || clean != p {
		return "the URL path is not clean"
	}
	return ""
}

// checkPicture is Authgear's "x_picture" format.
func checkPicture(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "not a URL"
	}
	switch u.Scheme {
	case "http", "https":
		return checkURI(s)
	case "authgearimages":
		if u.Host != "" {
			return "an authgearimages URL has no host"
		}
		return checkAbsPath(u.EscapedPath())
	}
	return "not an http, https or authgearimages URL"
}

// checkBirthdate is Authgear's "birthdate" format: YYYY-MM-DD, 0000-MM-DD,
// --MM-DD or YYYY (OpenID Connect's forms), and a real date.
func checkBirthdate(s string) string {
	for _, layout := range []string{"2006-01-02", "0000-01-02", "--01-02", "2006"} {
		if _, err := time.Parse(layout, s); err == nil {
			return ""
		}
	}
	return "not a birthdate in the form YYYY-MM-DD, 0000-MM-DD, --MM-DD or YYYY"
}

// tzAvailable reports whether this machine has a time zone database; without
// one every name would fail to load, and only the shape can be checked.
var tzAvailable = sync.OnceValue(func() bool {
	_, err := time.LoadLocation("America/New_York")
	return err == nil
})

// checkZoneinfo is Authgear's "timezone" format: an IANA name with a slash
// that Go's time package can load.
func checkZoneinfo(s string) string {
	if !strings.Contains(s, "/") {
		return "not an IANA time zone name such as Asia/Hong_Kong (it has no slash)"
	}
	if tzAvailable() {
		if _, err := time.LoadLocation(s); err != nil {
			return "not a known IANA time zone name"
		}
	}
	return ""
}

// checkLocale is Authgear's "bcp47" format: a BCP 47 tag in its canonical
// spelling (en-US, not en_US or en-us).
func checkLocale(s string) string {
	tag, err := language.Parse(s)
	if err != nil {
		return "not a BCP 47 language tag such as en-US"
	}
	if c := tag.String(); c != s {
		return "not in canonical BCP 47 form (write " + c + ")"
	}
	return ""
}

// validEmail accepts a bare address (no display name, no angle brackets).
func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}
