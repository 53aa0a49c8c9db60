package authgeartest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// exact are the keys whose values must match, not just their shape.
var exact = map[string]bool{
	"errorName": true, "reason": true, "name": true, "error": true, "error_description": true,
	"outcome": true, "status": true, "token_type": true, "tokenType": true, "kind": true,
	"location": true, "message": true, "type": true, "code": true, "isDisabled": true,
	"isDeactivated": true, "expiresIn": true, "expires_in": true, "disableReason": true,
	"email": true, "isDefault": true, "displayName": true, "applicationName": true,
	"userAgent": true, "createdByIP": true, "lastAccessedByIP": true, "action": true,
	"identification": true, "authentication": true, "triggered_by": true, "can_reauthenticate": true,
	// Claims of the JWTs, compared through their recorded *_decoded siblings.
	"alg": true, "typ": true, "scope": true, "client_id": true,
	"https://authgear.com/claims/user/can_reauthenticate": true,
	"https://authgear.com/claims/user/is_anonymous":       true,
	"https://authgear.com/claims/user/is_verified":        true,
}

// exactTrees are keys whose whole value must match: error details and
// import summaries.
var exactTrees = map[string]bool{"info": true, "summary": true, "extensions": true}

// strictOnly are exact only on the second instance, which shares no
// history with earlier sessions.
var strictOnly = map[string]bool{"totalCount": true}

// lenient are arrays whose length depends on history the fake does not
// share (sessions from logins before the recording).
var lenient = map[string]bool{"edges": true}

// compare reports where got differs from want in shape, or in value for
// the keys in exact. A recorded *_decoded sibling of a JWT is compared with
// the fake's JWT decoded the same way; tracking IDs are not compared.
func (rp *replayer) compare(path string, want, got any) []string {
	return rp.compareKey(path, path[strings.LastIndex(path, ".")+1:], want, got)
}

func (rp *replayer) compareKey(path, key string, want, got any) []string {
	var diffs []string
	if exactTrees[key] && !reflect.DeepEqual(dropTracking(want), dropTracking(got)) {
		wb, _ := json.Marshal(want)
		gb, _ := json.Marshal(got)
		return []string{fmt.Sprintf("%s: %s, want %s", path, gb, wb)}
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an object", path, kind(got))}
		}
		for k, wv := range w {
			if k == "tracking_id" {
				continue
			}
			if base, ok := strings.CutSuffix(k, "_decoded"); ok {
				tok, _ := g[base].(string)
				dec, err := decodeJWT(tok)
				if err != nil {
					diffs = append(diffs, fmt.Sprintf("%s.%s: %v", path, base, err))
					continue
				}
				diffs = append(diffs, rp.compareKey(path+"."+k, k, wv, dec)...)
				continue
			}
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			diffs = append(diffs, rp.compareKey(path+"."+k, k, wv, gv)...)
		}
		for k := range g {
			if _, ok := w[k]; !ok && k != "tracking_id" {
				diffs = append(diffs, fmt.Sprintf("%s.%s: not in the real answer", path, k))
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an array", path, kind(got))}
		}
		if len(g) != len(w) && (rp.strict || !lenient[key]) {
			diffs = append(diffs, fmt.Sprintf("%s: %d items, want %d", path, len(g), len(w)))
		}
		for i := 0; i < len(w) && i < len(g); i++ {
			diffs = append(diffs, rp.compareKey(fmt.Sprintf("%s[%d]", path, i), key, w[i], g[i])...)
		}
	default:
		if kind(want) != kind(got) {
			return []string{fmt.Sprintf("%s: got %s, want %s", path, kind(got), kind(want))}
		}
		if (exact[key] || rp.strict && strictOnly[key]) && fmt.Sprint(want) != fmt.Sprint(got) {
			diffs = append(diffs, fmt.Sprintf("%s: %v, want %v", path, got, want))
		}
	}
	return diffs
}

// dropTracking removes tracking IDs, which differ on every answer.
func dropTracking(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, vv := range x {
			if k != "tracking_id" {
				out[k] = dropTracking(vv)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = dropTracking(vv)
		}
		return out
	}
	return v
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return fmt.Sprintf("%T", v)
}

// decodeJWT reads a JWT's header and claims without checking anything, as
// the recordings' *_decoded siblings show them.
func decodeJWT(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT")
	}
	out := map[string]any{}
	for i, name := range []string{"header", "claims"} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		var m map[string]any
		if err != nil || json.Unmarshal(b, &m) != nil {
			return nil, fmt.Errorf("not a JWT %s", name)
		}
		out[name] = m
	}
	return out, nil
}
