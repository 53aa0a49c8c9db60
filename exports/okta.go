package exports

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// oktaUser is one user as the Okta Users API lists it (GET /api/v1/users).
type oktaUser struct {
	ID          string         `json:"id"`
	Status      string         `json:"status"`
	Profile     map[string]any `json:"profile"`
	Credentials struct {
		Password json.RawMessage `json:"password"`
		Provider struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"provider"`
	} `json:"credentials"`
}

// oktaMapped are the profile properties with an Authgear field.
var oktaMapped = map[string]bool{
	"login": true, "email": true, "firstName": true, "lastName": true, "middleName": true,
	"displayName": true, "nickName": true, "profileUrl": true, "locale": true, "timezone": true,
	"mobilePhone": true, "primaryPhone": true, "streetAddress": true, "city": true, "state": true,
	"zipCode": true, "countryCode": true, "postalAddress": true,
}

// ReadOkta reads a JSON array of users from the Okta Users API (pages of
// GET /api/v1/users joined into one array). Okta never returns password
// hashes (credentials.password is an empty object), nor whether an email
// was verified.
func ReadOkta(r io.Reader, opts Options) ([]User, error) {
	b, err := readAll(r, Okta)
	if err != nil {
		return nil, err
	}
	var list []oktaUser
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, formatErr(Okta, "want the Users API's JSON array of users")
	}
	users := make([]User, 0, len(list))
	for i := range list {
		o := &list[i]
		if o.ID == "" || o.Profile == nil {
			return nil, formatErr(Okta, fmt.Sprintf("user %d has no id or profile", i))
		}
		u := User{LegacyID: o.ID}
		rec := &u.Record
		p := func(k string) string {
			s, _ := o.Profile[k].(string)
			return strings.TrimSpace(s)
		}
		rec.Email = str(p("email"))
		if login := p("login"); login != "" && login != p("email") {
			if strings.Contains(login, "@") {
				u.notCarried("login: an email-shaped login other than the email cannot be an Authgear username")
			} else {
				rec.PreferredUsername = str(login)
			}
		}
		rec.GivenName, rec.FamilyName, rec.MiddleName = str(p("firstName")), str(p("lastName")), str(p("middleName"))
		rec.Name = str(p("displayName"))
		if rec.Name == nil {
			rec.Name = str(p("firstName") + " " + p("lastName"))
		}
		rec.Nickname, rec.Profile, rec.Zoneinfo = str(p("nickName")), str(p("profileUrl")), str(p("timezone"))
		// Okta writes locales as en_US; Authgear wants BCP 47 (en-US).
		rec.Locale = str(strings.ReplaceAll(p("locale"), "_", "-"))
		phone, field := p("mobilePhone"), "mobilePhone"
		if phone == "" {
			phone, field = p("primaryPhone"), "primaryPhone"
		}
		u.setPhone(field, phone, nil)
		addr := map[string]any{}
		for k, to := range map[string]string{"streetAddress": "street_address", "city": "locality", "state": "region", "zipCode": "postal_code", "countryCode": "country", "postalAddress": "formatted"} {
			if v := p(k); v != "" {
				addr[to] = v
			}
		}
		if len(addr) > 0 {
			rec.Address = addr
		}
		custom := map[string]any{}
		for k, v := range o.Profile {
			if !oktaMapped[k] && v != nil {
				custom[k] = v
			}
		}
		u.customAttrs(opts, "profile", custom)
		switch o.Status {
		case "SUSPENDED", "DEPROVISIONED":
			rec.Disabled = boolPtr(true)
		case "STAGED", "PROVISIONED":
			u.notCarried("status %s: the user never activated the Okta account", o.Status)
		}
		if t := o.Credentials.Provider.Type; t != "" && t != "OKTA" && t != "IMPORT" {
			u.notCarried("identity %s: the password lives in another system (%s)", truncate(t), truncate(o.Credentials.Provider.Name))
		} else {
			u.notCarried("password: Okta does not export password hashes")
		}
		users = append(users, u)
	}
	return users, nil
}
