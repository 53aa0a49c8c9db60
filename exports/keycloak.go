package exports

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/agmigrate/agmigrate/passwords"
)

// keycloakRealm is a realm export (kc.sh export, or a partial export's
// users file): the realm's users with their credentials.
type keycloakRealm struct {
	Realm string         `json:"realm"`
	Users []keycloakUser `json:"users"`
}

type keycloakUser struct {
	ID                  string                         `json:"id"`
	Username            string                         `json:"username"`
	Enabled             *bool                          `json:"enabled"`
	EmailVerified       bool                           `json:"emailVerified"`
	FirstName           string                         `json:"firstName"`
	LastName            string                         `json:"lastName"`
	Email               string                         `json:"email"`
	Attributes          map[string][]string            `json:"attributes"`
	Credentials         []passwords.KeycloakCredential `json:"credentials"`
	RealmRoles          []string                       `json:"realmRoles"`
	ClientRoles         map[string][]string            `json:"clientRoles"`
	Groups              []string                       `json:"groups"`
	FederatedIdentities []struct {
		IdentityProvider string `json:"identityProvider"`
	} `json:"federatedIdentities"`
	FederationLink string `json:"federationLink"`
}

// ReadKeycloak reads a Keycloak realm export ({"realm": …, "users": […]})
// or a bare array of users. Password credentials (pbkdf2, pbkdf2-sha256,
// pbkdf2-sha512, argon2) become sidecar entries in PHC form; realm roles
// (less Keycloak's built-in ones) and groups (the last segment of each
// group path) become Authgear roles and groups unless opts.NoRoles.
func ReadKeycloak(r io.Reader, opts Options) ([]User, error) {
	b, err := readAll(r, Keycloak)
	if err != nil {
		return nil, err
	}
	var realm keycloakRealm
	if json.Unmarshal(b, &realm) != nil || realm.Users == nil {
		if json.Unmarshal(b, &realm.Users) != nil {
			return nil, formatErr(Keycloak, `want a realm export, {"realm": …, "users": [ … ]}`)
		}
	}
	users := make([]User, 0, len(realm.Users))
	for i := range realm.Users {
		k := &realm.Users[i]
		if k.Username == "" {
			return nil, formatErr(Keycloak, fmt.Sprintf("user %d has no username", i))
		}
		u := User{LegacyID: k.ID}
		rec := &u.Record
		if rec.Email = str(k.Email); rec.Email != nil {
			rec.EmailVerified = boolPtr(k.EmailVerified)
		}
		if !strings.EqualFold(k.Username, k.Email) {
			rec.PreferredUsername = str(k.Username)
		}
		rec.GivenName, rec.FamilyName = str(k.FirstName), str(k.LastName)
		rec.Name = str(k.FirstName + " " + k.LastName)
		if k.Enabled != nil && !*k.Enabled {
			rec.Disabled = boolPtr(true)
		}
		custom := map[string]any{}
		for name, vals := range k.Attributes {
			switch {
			case len(vals) == 0:
			case name == "phoneNumber" || name == "phone_number":
				u.setPhone("attributes."+name, vals[0], nil)
			case name == "locale":
				rec.Locale = str(vals[0])
			case len(vals) == 1:
				custom[name] = vals[0]
			default:
				custom[name] = vals
			}
		}
		u.customAttrs(opts, "attributes", custom)
		if !opts.NoRoles {
			for _, role := range k.RealmRoles {
				if role == "offline_access" || role == "uma_authorization" || strings.HasPrefix(role, "default-roles-") {
					continue
				}
				rec.Roles = append(rec.Roles, role)
			}
			for _, g := range k.Groups {
				if g = g[strings.LastIndex(g, "/")+1:]; g != "" {
					rec.Groups = append(rec.Groups, g)
				}
			}
		}
		for client := range k.ClientRoles {
			u.notCarried("clientRoles.%s: Authgear roles are per project, not per client", truncate(client))
		}
		for _, f := range k.FederatedIdentities {
			u.notCarried("identity %s: a brokered login; the user signs in with it once the provider is configured in Authgear", truncate(f.IdentityProvider))
		}
		if k.FederationLink != "" {
			u.notCarried("password: kept by a user federation provider (LDAP, Kerberos), not in the export")
		}
		for _, c := range k.Credentials {
			if c.Type != "password" {
				u.notCarried("credential %s: not carried", truncate(c.Type))
				continue
			}
			phc, err := passwords.KeycloakPHC(c)
			if err != nil {
				u.notCarried("password: cannot be checked (%s)", reason(err))
				continue
			}
			u.setPassword(opts, phc)
		}
		users = append(users, u)
	}
	return users, nil
}
