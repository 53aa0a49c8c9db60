package authgeartest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// authFlow is one login flow of the authentication flow API
// (/api/v1/authentication_flows), reduced to what the recordings show: a
// login by login ID and primary password.
type authFlow struct {
	name   string
	userID string // set once identified
	done   bool
}

func newFlowToken() string {
	return "authflowstate_" + strings.TrimPrefix(newImportID(), "userimport_")
}

func (s *Server) serveAuthFlow(w http.ResponseWriter, r *http.Request) {
	s.count("authflow")
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var req struct {
		Type       string         `json:"type"`
		Name       string         `json:"name"`
		StateToken string         `json:"state_token"`
		Input      map[string]any `json:"input"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeMainJSON(w, http.StatusBadRequest, map[string]any{"error": apiErrorBody("BadRequest", "InvalidJSON", "failed to parse JSON", 400, nil)})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path == "/api/v1/authentication_flows" {
		if req.Type != "login" {
			writeMainJSON(w, http.StatusBadRequest, map[string]any{"error": apiErrorBody("Invalid", "AuthenticationFlowNotFound", "authentication flow not found", 400, nil)})
			return
		}
		if req.Name == "" {
			req.Name = "default"
		}
		tok := newFlowToken()
		s.flows[tok] = &authFlow{name: req.Name}
		writeMainJSON(w, http.StatusOK, map[string]any{"result": s.flowResult(tok, s.flows[tok])})
		return
	}
	f := s.flows[req.StateToken]
	if f == nil || f.done {
		writeMainJSON(w, http.StatusBadRequest, map[string]any{"error": apiErrorBody("Invalid", "AuthenticationFlowNotFound", "authentication flow not found", 400, nil)})
		return
	}
	if f.userID == "" {
		key, _ := req.Input["identification"].(string)
		val, _ := req.Input["login_id"].(string)
		var u *User
		if s.hasLoginIDKey(key) {
			u, _ = s.lookupLoginIDLocked(key, strings.TrimSpace(val))
		}
		if u == nil {
			writeMainJSON(w, http.StatusNotFound, map[string]any{"result": s.flowResult(req.StateToken, f),
				"error": apiErrorBody("NotFound", "UserNotFound", "user not found", 404, nil)})
			return
		}
		next := &authFlow{name: f.name, userID: u.ID}
		tok := newFlowToken()
		s.flows[tok] = next
		writeMainJSON(w, http.StatusOK, map[string]any{"result": s.flowResult(tok, next)})
		return
	}
	pw, _ := req.Input["password"].(string)
	u := s.users[f.userID]
	if u == nil || u.PasswordHash == "" || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pw)) != nil {
		writeMainJSON(w, http.StatusUnauthorized, map[string]any{"result": s.flowResult(req.StateToken, f),
			"error": apiErrorBody("Unauthorized", "InvalidCredentials", "invalid credentials", 401,
				map[string]any{"AuthenticationType": "password", "FlowType": "login"})})
		return
	}
	// A finished login is a real sign-in: Authgear starts an IdP session
	// (the cookie) and records the login time.
	u.LastLoginAt = s.opts.Now()
	login := s.newGrantLocked(u.ID, "", nil, s.clientIP(r), r.UserAgent())
	login.secret, login.idp = "", true
	next := &authFlow{name: f.name, userID: u.ID, done: true}
	tok := newFlowToken()
	s.flows[tok] = next
	http.SetCookie(w, &http.Cookie{Name: "session", Value: randomString(32), Path: "/", HttpOnly: true, MaxAge: 52 * 7 * 24 * 3600})
	writeMainJSON(w, http.StatusOK, map[string]any{"result": s.flowResult(tok, next)})
}

func (s *Server) flowResult(tok string, f *authFlow) map[string]any {
	res := map[string]any{"state_token": tok, "type": "login", "name": f.name}
	switch {
	case f.done:
		res["action"] = map[string]any{"type": "finished", "data": map[string]any{}}
	case f.userID != "":
		res["action"] = map[string]any{"type": "authenticate", "data": map[string]any{
			"type": "authentication_data", "options": []any{map[string]any{"authentication": "primary_password"}},
			"device_token_enabled": false}}
	default:
		var opts []any
		for _, k := range s.opts.LoginIDKeys {
			opts = append(opts, map[string]any{"identification": k})
		}
		res["action"] = map[string]any{"type": "identify", "data": map[string]any{"type": "identification_data", "options": opts}}
	}
	return res
}

func apiErrorBody(name, reason, msg string, code int, info map[string]any) map[string]any {
	e := map[string]any{"name": name, "reason": reason, "message": msg, "code": code, "tracking_id": trackingID()}
	if info != nil {
		e["info"] = info
	}
	return e
}
