package exports

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// cognitoPage is the output of ListUsers (aws cognito-idp list-users).
type cognitoPage struct {
	Users []cognitoUser `json:"Users"`
}

type cognitoUser struct {
	Username   string `json:"Username"`
	Attributes []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"Attributes"`
	Enabled    *bool  `json:"Enabled"`
	UserStatus string `json:"UserStatus"`
}

// cognitoStandard maps Cognito's standard attributes that Authgear has.
var cognitoStandard = map[string]func(u *User, v string){
	"name":               func(u *User, v string) { u.Record.Name = str(v) },
	"given_name":         func(u *User, v string) { u.Record.GivenName = str(v) },
	"family_name":        func(u *User, v string) { u.Record.FamilyName = str(v) },
	"middle_name":        func(u *User, v string) { u.Record.MiddleName = str(v) },
	"nickname":           func(u *User, v string) { u.Record.Nickname = str(v) },
	"preferred_username": func(u *User, v string) { u.Record.PreferredUsername = str(v) },
	"profile":            func(u *User, v string) { u.Record.Profile = str(v) },
	"picture":            func(u *User, v string) { u.Record.Picture = str(v) },
	"website":            func(u *User, v string) { u.Record.Website = str(v) },
	"gender":             func(u *User, v string) { u.Record.Gender = str(v) },
	"birthdate":          func(u *User, v string) { u.Record.Birthdate = str(v) },
	"zoneinfo":           func(u *User, v string) { u.Record.Zoneinfo = str(v) },
	"locale":             func(u *User, v string) { u.Record.Locale = str(v) },
	"address": func(u *User, v string) {
		if v = strings.TrimSpace(v); v != "" {
			u.Record.Address = map[string]any{"formatted": v}
		}
	},
}

// ReadCognito reads the JSON of Cognito's ListUsers: one page
// ({"Users": […]}), or an array of pages as jq -s gathers them. Cognito
// never exports password hashes, so every user with a password is listed
// as not carrying it: they keep it through password capture at the legacy
// login, or reset it.
func ReadCognito(r io.Reader, opts Options) ([]User, error) {
	b, err := readAll(r, Cognito)
	if err != nil {
		return nil, err
	}
	var pages []cognitoPage
	var one cognitoPage
	if json.Unmarshal(b, &one) == nil && one.Users != nil {
		pages = []cognitoPage{one}
	} else if json.Unmarshal(b, &pages) != nil || len(pages) == 0 {
		return nil, formatErr(Cognito, `want ListUsers output, {"Users": [ … ]}, or an array of such pages`)
	}
	for i, p := range pages {
		if p.Users == nil {
			return nil, formatErr(Cognito, fmt.Sprintf("page %d has no Users", i))
		}
	}
	var users []User
	for _, p := range pages {
		for _, c := range p.Users {
			if c.Username == "" {
				return nil, formatErr(Cognito, "a user has no Username")
			}
			u := User{LegacyID: c.Username}
			attrs := map[string]string{}
			for _, a := range c.Attributes {
				attrs[a.Name] = a.Value
			}
			if sub := attrs["sub"]; sub != "" {
				u.LegacyID = sub
			}
			if u.Record.Email = str(attrs["email"]); u.Record.Email != nil {
				u.Record.EmailVerified = boolPtr(attrs["email_verified"] == "true")
			}
			u.setPhone("phone_number", attrs["phone_number"], boolPtr(attrs["phone_number_verified"] == "true"))
			custom := map[string]any{}
			var other []string
			for name, v := range attrs {
				switch {
				case cognitoStandard[name] != nil:
					cognitoStandard[name](&u, v)
				case strings.HasPrefix(name, "custom:"):
					custom[strings.TrimPrefix(name, "custom:")] = v
				case name == "sub" || name == "email" || name == "email_verified" || name == "phone_number" ||
					name == "phone_number_verified" || name == "updated_at" || name == "identities":
				default:
					other = append(other, name)
				}
			}
			u.customAttrs(opts, "custom", custom)
			for _, name := range sortedStrings(other) {
				u.notCarried("%s: Authgear has no such attribute", truncate(name))
			}
			if c.Enabled != nil && !*c.Enabled {
				u.Record.Disabled = boolPtr(true)
			}
			if c.UserStatus == "EXTERNAL_PROVIDER" || attrs["identities"] != "" {
				u.notCarried("identity: a federated (social or SAML) login; the user signs in with it once the provider is configured in Authgear")
			} else {
				u.notCarried("password: Cognito does not export password hashes")
			}
			users = append(users, u)
		}
	}
	return users, nil
}
