package authgeartest_test

import (
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
	"identification": true, "authentication": true, "triggered_by": true,
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
// the keys in exact. Recorded *_decoded siblings and tracking IDs are not
// server output to compare.
func (rp *replayer) compare(path string, want, got any) []string {
	var diffs []string
	key := path[strings.LastIndex(path, ".")+1:]
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
			if strings.HasSuffix(k, "_decoded") || k == "tracking_id" {
				continue
			}
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			diffs = append(diffs, rp.compare(path+"."+k, wv, gv)...)
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
			diffs = append(diffs, rp.compare(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
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
