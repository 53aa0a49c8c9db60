package exports

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/agmigrate/agmigrate/passwords"
)

// firebaseExport is the JSON file firebase auth:export writes: the keys
// firebase-tools' accountExporter picks from each account.
type firebaseExport struct {
	Users []firebaseUser `json:"users"`
}

type firebaseUser struct {
	LocalID          string `json:"localId"`
	Email            string `json:"email"`
	EmailVerified    bool   `json:"emailVerified"`
	PasswordHash     string `json:"passwordHash"`
	Salt             string `json:"salt"`
	DisplayName      string `json:"displayName"`
	PhotoURL         string `json:"photoUrl"`
	PhoneNumber      string `json:"phoneNumber"`
	Disabled         bool   `json:"disabled"`
	CustomAttributes string `json:"customAttributes"` // custom claims, a JSON object in a string
	ProviderUserInfo []struct {
		ProviderID string `json:"providerId"`
	} `json:"providerUserInfo"`
}

// ReadFirebase reads a firebase auth:export JSON file. Password hashes are
// Firebase's modified scrypt: with opts.Firebase (the project's hash
// parameters) each becomes a sidecar entry; without them they are not
// carried. Phone numbers in Firebase are verified by sign-in, so they are
// imported as verified.
func ReadFirebase(r io.Reader, opts Options) ([]User, error) {
	b, err := readAll(r, Firebase)
	if err != nil {
		return nil, err
	}
	var ex firebaseExport
	if err := json.Unmarshal(b, &ex); err != nil || ex.Users == nil {
		return nil, formatErr(Firebase, `want {"users": [ … ]} as firebase auth:export writes`)
	}
	users := make([]User, 0, len(ex.Users))
	for i := range ex.Users {
		f := &ex.Users[i]
		if f.LocalID == "" {
			return nil, formatErr(Firebase, fmt.Sprintf("user %d has no localId", i))
		}
		u := User{LegacyID: f.LocalID}
		rec := &u.Record
		if rec.Email = str(f.Email); rec.Email != nil {
			rec.EmailVerified = boolPtr(f.EmailVerified)
		}
		u.setPhone("phoneNumber", f.PhoneNumber, boolPtr(true))
		rec.Name, rec.Picture = str(f.DisplayName), str(f.PhotoURL)
		if f.Disabled {
			rec.Disabled = boolPtr(true)
		}
		if f.CustomAttributes != "" {
			var claims map[string]any
			if json.Unmarshal([]byte(f.CustomAttributes), &claims) != nil {
				u.notCarried("customAttributes: not a JSON object")
			} else {
				u.customAttrs(opts, "customAttributes", claims)
			}
		}
		for _, p := range f.ProviderUserInfo {
			if p.ProviderID != "password" && p.ProviderID != "phone" {
				u.notCarried("identity %s: a social login; the user signs in with it once the provider is configured in Authgear", truncate(p.ProviderID))
			}
		}
		switch {
		case f.PasswordHash == "":
		case opts.Firebase == nil:
			u.notCarried("password: Firebase scrypt hash, but the project's hash parameters were not given")
		default:
			e := passwords.Entry{Format: passwords.FormatFirebaseScrypt, Hash: f.PasswordHash, Salt: f.Salt, Firebase: opts.Firebase}
			if _, err := e.Verifier(); err != nil {
				u.notCarried("password: the Firebase hash cannot be checked (%s)", reason(err))
				break
			}
			u.hashEntry(opts, e)
		}
		users = append(users, u)
	}
	return users, nil
}

// ParseFirebaseHashConfig reads a Firebase project's password hash
// parameters either as JSON with the console's names
// ({"base64_signer_key": …, "base64_salt_separator": …, "rounds": …,
// "mem_cost": …}) or as the block the console shows
// (hash_config { algorithm: SCRYPT, base64_signer_key: …, … }).
func ParseFirebaseHashConfig(b []byte) (passwords.FirebaseParams, error) {
	var p passwords.FirebaseParams
	if json.Unmarshal(b, &p) == nil && p.SignerKey != "" {
		return p, nil
	}
	p = passwords.FirebaseParams{}
	s := string(b)
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "hash_config"))
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	algorithm := ""
	for _, field := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		k, v, ok := strings.Cut(field, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		var err error
		switch k {
		case "algorithm":
			algorithm = v
		case "base64_signer_key":
			p.SignerKey = v
		case "base64_salt_separator":
			p.SaltSeparator = v
		case "rounds":
			p.Rounds, err = strconv.Atoi(v)
		case "mem_cost":
			p.MemCost, err = strconv.Atoi(v)
		}
		if err != nil {
			return p, formatErr(Firebase, "hash config: "+k+" is not a number")
		}
	}
	if algorithm != "" && algorithm != "SCRYPT" {
		return p, formatErr(Firebase, "hash config: only the SCRYPT algorithm is exported with hashes")
	}
	if p.SignerKey == "" || p.Rounds == 0 || p.MemCost == 0 {
		return p, formatErr(Firebase, "hash config: want base64_signer_key, base64_salt_separator, rounds and mem_cost")
	}
	return p, nil
}
