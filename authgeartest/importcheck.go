package authgeartest

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/language"
)

var e164RE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// birthdateRE is the forms Authgear's birthdate format takes: YYYY-MM-DD,
// 0000-MM-DD, --MM-DD and YYYY.
var birthdateRE = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}-[0-9]{2}|--[0-9]{2}-[0-9]{2}|[0-9]{4})$`)

// stringAttrs are the record fields that must be strings when present (and
// not null).
var stringAttrs = []string{"name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "preferred_username", "email", "phone_number"}

var addressFields = []string{"formatted", "street_address", "locality", "region", "postal_code", "country"}

// recordCauses checks a record against the import record schema as far as
// Authgear's answers are recorded, and returns the causes sorted by
// location, as Authgear lists them.
func recordCauses(ident string, rec map[string]any) []any {
	var causes []map[string]any
	add := func(kind, loc string, details map[string]any) {
		c := map[string]any{"kind": kind, "location": loc}
		if details != nil {
			c["details"] = details
		}
		causes = append(causes, c)
	}
	if v, ok := rec[ident]; !ok || v == nil {
		actual := make([]string, 0, len(rec))
		for k := range rec {
			actual = append(actual, k)
		}
		sort.Strings(actual)
		add("required", "", map[string]any{"actual": actual, "expected": []string{ident}, "missing": []string{ident}})
	}
	for _, k := range stringAttrs {
		v, ok := rec[k]
		if !ok || v == nil {
			continue
		}
		str, isString := v.(string)
		if !isString {
			add("type", "/"+k, map[string]any{"actual": jsonTypes(v), "expected": []string{"string"}})
			continue
		}
		if kind, details := formatCause(k, str); kind != "" {
			add(kind, "/"+k, details)
		}
	}
	if addr, ok := rec["address"].(map[string]any); ok {
		for _, k := range addressFields {
			if v, ok := addr[k]; ok {
				if _, isString := v.(string); !isString {
					add("type", "/address/"+k, map[string]any{"actual": jsonTypes(v), "expected": []string{"string"}})
				}
			}
		}
	}
	if pw, ok := rec["password"].(map[string]any); ok {
		if t, _ := pw["type"].(string); t != "bcrypt" {
			add("enum", "/password/type", map[string]any{"actual": pw["type"], "expected": []string{"bcrypt"}})
		}
	}
	sort.SliceStable(causes, func(i, j int) bool { return causes[i]["location"].(string) < causes[j]["location"].(string) })
	out := make([]any, len(causes))
	for i, c := range causes {
		out[i] = c
	}
	return out
}

// formatCause checks one string field's format; kind is "" when it passes.
func formatCause(field, v string) (kind string, details map[string]any) {
	bad := func(format string, err string) (string, map[string]any) {
		return "format", map[string]any{"format": format, "error": err}
	}
	switch field {
	case "email":
		if err := checkEmail(v); err != nil {
			return bad("email", err.Error())
		}
	case "phone_number":
		if !e164RE.MatchString(v) {
			return "format", map[string]any{"format": "phone"}
		}
	case "gender":
		if v == "" {
			return "minLength", map[string]any{"actual": 0, "expected": 1}
		}
	case "birthdate":
		if !birthdateRE.MatchString(v) {
			return bad("birthdate", fmt.Sprintf("invalid birthdate: %q", v))
		}
	case "website", "profile":
		u, err := url.Parse(v)
		if err != nil {
			return bad("uri", err.Error())
		}
		if !u.IsAbs() {
			return bad("uri", "input URL must be absolute")
		}
	case "picture":
		u, err := url.Parse(v)
		if err != nil {
			return bad("x_picture", err.Error())
		}
		if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "authgearimages" {
			return bad("x_picture", "invalid scheme: "+u.Scheme)
		}
	case "zoneinfo":
		if !strings.Contains(v, "/") {
			return bad("timezone", fmt.Sprintf("valid timezone name has at least 1 slash: %q", v))
		}
		if _, err := time.LoadLocation(v); err != nil {
			return bad("timezone", err.Error())
		}
	case "locale":
		tag, err := language.Parse(v)
		if err != nil {
			return bad("bcp47", "invalid BCP 47 tag: "+err.Error())
		}
		if c := tag.String(); c != v {
			return bad("bcp47", fmt.Sprintf("non-canonical BCP 47 tag: %s != %s", v, c))
		}
	}
	return "", nil
}

// jsonTypes names a JSON value's types as Authgear's schema validator
// reports them: an integer is both "integer" and "number".
func jsonTypes(v any) []string {
	switch x := v.(type) {
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return []string{"integer", "number"}
		}
		return []string{"number"}
	case float64:
		if x == float64(int64(x)) {
			return []string{"integer", "number"}
		}
		return []string{"number"}
	case bool:
		return []string{"boolean"}
	case []any:
		return []string{"array"}
	case map[string]any:
		return []string{"object"}
	case nil:
		return []string{"null"}
	}
	return []string{"string"}
}

// checkEmail is the email format check of creation paths: a bare address.
func checkEmail(v string) error {
	a, err := mail.ParseAddress(v)
	if err != nil {
		return fmt.Errorf("invalid email address: %v", err)
	}
	if a.Address != v || a.Name != "" {
		return fmt.Errorf("invalid email address: not a bare address")
	}
	return nil
}

// checkRoleAndGroupKeysLocked refuses role and group keys the project does
// not define, as Authgear does (NotFound, 404 in the import details).
func (s *Server) checkRoleAndGroupKeysLocked(rec map[string]any) *fieldErr {
	if unknown := unknownKeys(asList(rec["roles"]), s.roleKeysLocked()); len(unknown) > 0 {
		return &fieldErr{msg: "unknown role keys", name: "NotFound", reason: "RoleUnknownKeys", info: map[string]any{"keys": unknown}}
	}
	if unknown := unknownKeys(asList(rec["groups"]), s.opts.Groups); len(unknown) > 0 {
		return &fieldErr{msg: "unknown group keys", name: "NotFound", reason: "GroupUnknownKeys", info: map[string]any{"keys": unknown}}
	}
	return nil
}

// roleKeysLocked is the project's roles: Options.Roles and every role a
// seeded user holds.
func (s *Server) roleKeysLocked() []string {
	keys := append([]string(nil), s.opts.Roles...)
	for _, u := range s.users {
		keys = append(keys, u.Roles...)
	}
	return keys
}

func unknownKeys(given []any, known []string) []any {
	var out []any
	for _, g := range given {
		k := fmt.Sprint(g)
		found := false
		for _, kk := range known {
			found = found || kk == k
		}
		if !found {
			out = append(out, k)
		}
	}
	return out
}
