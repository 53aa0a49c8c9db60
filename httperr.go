package agmigrate

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// writeAuthError answers 401 as RFC 6750 says: a WWW-Authenticate
// challenge, with an error code when credentials were presented, and a
// JSON body with the same fields.
func writeAuthError(w http.ResponseWriter, code, desc string) {
	ch := `Bearer realm="agmigrate"`
	if code != "" {
		ch += `, error="` + code + `", error_description="` + quoteSafe(desc) + `"`
	}
	w.Header().Set("WWW-Authenticate", ch)
	body := map[string]string{"error": code, "error_description": desc}
	if code == "" {
		body["error"] = "unauthorized"
	}
	writeJSONError(w, http.StatusUnauthorized, body)
}

func writeUnavailable(w http.ResponseWriter, retryAfter time.Duration, desc string) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(retryAfter/time.Second))))
	writeJSONError(w, http.StatusServiceUnavailable, map[string]string{"error": "temporarily_unavailable", "error_description": desc})
}

func writeJSONError(w http.ResponseWriter, status int, body map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// quoteSafe keeps a description inside an auth-param quoted string: RFC
// 6750 allows %x20-21 / %x23-5B / %x5D-7E there.
func quoteSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}
