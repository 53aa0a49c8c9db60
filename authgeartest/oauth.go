package authgeartest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// writeMainJSON answers as Authgear's main server does: JSON with a
// trailing newline, no charset.
func writeMainJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	s.count("discovery")
	if s.applyHTTPFault("discovery", w, r) {
		return
	}
	o := s.URL
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Max-Age", "900")
	writeMainJSON(w, http.StatusOK, map[string]any{
		"issuer":                                o,
		"authorization_endpoint":                o + "/oauth2/authorize",
		"token_endpoint":                        o + "/oauth2/token",
		"userinfo_endpoint":                     o + "/oauth2/userinfo",
		"revocation_endpoint":                   o + "/oauth2/revoke",
		"end_session_endpoint":                  o + "/oauth2/end_session",
		"jwks_uri":                              o + "/oauth2/jwks",
		"scopes_supported":                      []string{"offline_access", "device_sso", "openid", "profile", "email", "address", "phone", "https://authgear.com/scopes/full-access", "https://authgear.com/scopes/full-userinfo", "https://authgear.com/scopes/pre-authenticated-url"},
		"response_types_supported":              []string{"code", "urn:authgear:params:oauth:response-type:settings-action", "none"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", "client_credentials"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"dpop_signing_alg_values_supported":     []string{"ES256", "RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"none", "client_secret_post", "client_secret_basic"},
		"claims_supported":                      []string{"iss", "aud", "iat", "exp", "sub", "email", "email_verified", "phone_number", "phone_number_verified", "preferred_username", "family_name", "given_name", "middle_name", "name", "nickname", "picture", "profile", "website", "gender", "birthdate", "zoneinfo", "locale", "address", "updated_at"},
	})
}

// serveJWKS publishes every signing key, with Authgear's non-standard
// created_at, and (like Authgear) no Cache-Control header.
func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	s.count("jwks")
	if s.applyHTTPFault("jwks", w, r) {
		return
	}
	s.mu.Lock()
	keys := make([]any, 0, len(s.signingKeys))
	for _, k := range s.signingKeys {
		b, err := json.Marshal(k.pub)
		if err != nil {
			continue
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		m["created_at"] = k.created.Unix()
		keys = append(keys, m)
	}
	s.mu.Unlock()
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Access-Control-Max-Age", "900")
	writeMainJSON(w, http.StatusOK, map[string]any{"keys": keys})
}

// PublicKeys returns the JWKS as a jwk.Set, for tests that verify tokens
// without HTTP.
func (s *Server) PublicKeys() jwk.Set {
	set := jwk.NewSet()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.signingKeys {
		_ = set.AddKey(k.pub)
	}
	return set
}

func oauthError(w http.ResponseWriter, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeMainJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

// serveToken implements the refresh_token grant as Authgear does: the
// client is checked first (form body or HTTP Basic), then the grant type,
// then the refresh token, which must belong to that client and to a user
// who is neither disabled nor deactivated.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.count("token")
	s.serveWithFault("token", w, r, s.serveTokenRequest)
}

func (s *Server) serveTokenRequest(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	_ = r.ParseForm()
	clientID := r.PostForm.Get("client_id")
	if id, _, ok := r.BasicAuth(); ok && clientID == "" {
		clientID = id
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.takeLocked("token-ip:"+s.clientIP(r), tokenPerIPPerMinute, time.Minute) {
		rateLimited(w)
		return
	}
	client := s.clients[clientID]
	if client == nil {
		oauthError(w, "invalid_client", "invalid client ID")
		return
	}
	if r.PostForm.Get("grant_type") != "refresh_token" {
		oauthError(w, "unsupported_grant_type", "grant type is not supported")
		return
	}
	rt := r.PostForm.Get("refresh_token")
	gid, secret, _ := strings.Cut(rt, ".")
	g := s.grants[gid]
	now := s.opts.Now()
	if g == nil || secret == "" || g.secret != secret {
		oauthError(w, "invalid_grant", "invalid refresh token")
		return
	}
	if g.clientID != clientID {
		oauthError(w, "invalid_request", "client id doesn't match the refresh token")
		return
	}
	u := s.users[g.userID]
	gc := s.clients[g.clientID]
	if u == nil || u.Disabled || u.Deactivated || !now.Before(g.createdAt.Add(gc.RefreshTokenLifetime)) {
		oauthError(w, "invalid_grant", "invalid refresh token")
		return
	}
	if !s.takeLocked("token-user:"+u.ID, tokenPerUserPerMinute, time.Minute) {
		rateLimited(w)
		return
	}
	// Each refresh overwrites the session's device info: without
	// x_device_info it is cleared; one the server cannot read a device
	// model from is refused.
	var device map[string]any
	if raw := r.PostForm.Get("x_device_info"); raw != "" {
		m, ok := decodeDeviceInfo(raw)
		if !ok {
			oauthError(w, "invalid_request", "invalid device info")
			return
		}
		if deviceModel(m) == "" {
			b, _ := json.Marshal(m)
			oauthError(w, "invalid_request", "invalid device info: "+string(b))
			return
		}
		device = m
	}
	g.deviceInfo = device
	g.userAgent = r.UserAgent()
	g.lastIP = s.clientIP(r)
	g.refreshes++
	g.lastUsedAt = now
	at, life, err := s.issueAccessTokenLocked(g, requestOrigin(r), g.createdAt)
	if err != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	idt, err := s.issueIDTokenLocked(g, requestOrigin(r))
	if err != nil {
		http.Error(w, "signing failed", http.StatusInternalServerError)
		return
	}
	resp := map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": int(life / time.Second), "id_token": idt}
	if gc.RotateRefreshTokens {
		g.secret = randomString(32)
		resp["refresh_token"] = g.refreshToken()
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeMainJSON(w, http.StatusOK, resp)
}

// serveUserinfo answers for a valid access token (JWT or opaque) with the
// user's claims; otherwise 401 with a WWW-Authenticate challenge and, as
// Authgear does, a JSON body labelled text/plain.
func (s *Server) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	s.count("userinfo")
	if s.applyHTTPFault("userinfo", w, r) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	var g *grant
	if ok {
		g = s.lookupAccessTokenLocked(tok)
	}
	if g == nil {
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_grant", error_description="invalid session"`)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"invalid session"}` + "\n"))
		return
	}
	u := s.users[g.userID]
	claims := u.standardAttributes()
	claims["sub"] = u.ID
	claims["custom_attributes"] = map[string]any{}
	if u.CustomAttributes != nil {
		claims["custom_attributes"] = u.CustomAttributes
	}
	idents := []any{}
	for _, key := range []string{"email", "phone", "username"} {
		if u.loginIDValue(key) != "" {
			idents = append(idents, map[string]any{"created_at": datetime(u.CreatedAt), "updated_at": datetime(u.CreatedAt), "type": "login_id", "login_id_key": key, "login_id_type": key})
		}
	}
	auths := []any{}
	if u.PasswordHash != "" {
		auths = append(auths, map[string]any{"created_at": datetime(u.CreatedAt), "updated_at": datetime(u.CreatedAt), "type": "password", "kind": "primary"})
	}
	claims["https://authgear.com/claims/user/identities"] = idents
	claims["https://authgear.com/claims/user/authenticators"] = auths
	claims["https://authgear.com/claims/user/is_anonymous"] = false
	claims["https://authgear.com/claims/user/is_verified"] = u.isVerified()
	claims["https://authgear.com/claims/user/can_reauthenticate"] = u.canReauthenticate()
	claims["https://authgear.com/claims/user/recovery_code_enabled"] = false
	claims["https://authgear.com/claims/user/roles"] = rolesOf(u)
	claims["x_web3"] = map[string]any{}
	s.mu.Unlock()
	writeMainJSON(w, http.StatusOK, claims)
}
