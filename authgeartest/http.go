package authgeartest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// serveMain is the public origin: OAuth/OIDC endpoints and, as on Authgear
// Cloud, the Admin API under /_api/admin/.
func (s *Server) serveMain(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_api/admin/") {
		if s.opts.AdminListener && s.opts.AdminOnlyOnAdminListener {
			http.NotFound(w, r)
			return
		}
		s.serveAdmin(w, r)
		return
	}
	// The main server answers only on its public host, as Authgear does.
	if r.Host != s.Host() {
		target := s.URL + r.URL.RequestURI()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusTemporaryRedirect)
		_, _ = w.Write([]byte("<a href=\"" + target + "\">Temporary Redirect</a>.\n\n"))
		return
	}
	switch r.URL.Path {
	case "/.well-known/openid-configuration", "/.well-known/oauth-authorization-server":
		s.serveDiscovery(w, r)
	case "/oauth2/jwks":
		s.serveJWKS(w, r)
	case "/oauth2/token":
		s.serveToken(w, r)
	case "/oauth2/userinfo":
		s.serveUserinfo(w, r)
	case "/api/v1/authentication_flows", "/api/v1/authentication_flows/states/input":
		s.serveAuthFlow(w, r)
	default:
		http.NotFound(w, r)
	}
}

// serveAdmin is the Admin API, on the public origin or the admin listener.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	path := strings.TrimPrefix(r.URL.Path, "/_api/admin")
	if path != "/graphql" && path != "/users/import" && !strings.HasPrefix(path, "/users/import/") {
		http.NotFound(w, r)
		return
	}
	if !s.adminAuthorized(r) {
		s.count("admin.forbidden")
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	switch {
	case path == "/graphql":
		s.serveGraphQL(w, r)
	case path == "/users/import" && r.Method == http.MethodPost:
		s.serveImportCreate(w, r)
	case strings.HasPrefix(path, "/users/import/") && r.Method == http.MethodGet:
		s.serveImportGet(w, r, strings.TrimPrefix(path, "/users/import/"))
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// adminAuthorized checks the admin JWT as Authgear's admin authz middleware
// does: "Bearer " (case-sensitive), then a JWT whose kid names an admin key,
// verified with that key's algorithm (RS256), aud containing the project
// ID, and exp/iat/nbf within five minutes of skew. iss and sub are ignored.
func (s *Server) adminAuthorized(r *http.Request) bool {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	// Authgear's pattern ^Bearer (.*)$ keeps further spaces, and its JWT
	// parser skips them: "Bearer  <jwt>" is accepted.
	raw = strings.TrimLeft(raw, " ")
	set := jwk.NewSet()
	s.mu.Lock()
	for _, k := range s.adminKeys {
		pub, err := jwk.FromRaw(&k.priv.PublicKey)
		if err != nil {
			continue
		}
		_ = pub.Set(jwk.KeyIDKey, k.kid)
		_ = pub.Set(jwk.AlgorithmKey, "RS256")
		_ = set.AddKey(pub)
	}
	s.mu.Unlock()
	_, err := jwt.ParseString(raw,
		jwt.WithKeySet(set),
		jwt.WithValidate(true),
		jwt.WithAudience(s.opts.ProjectID),
		jwt.WithAcceptableSkew(5*time.Minute),
		jwt.WithClock(jwt.ClockFunc(s.opts.Now)),
	)
	return err == nil
}

// writeJSON answers with v as compact JSON, as Authgear's Admin API does.
func writeJSON(w http.ResponseWriter, status int, v any, charset bool) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding: "+err.Error(), http.StatusInternalServerError)
		return
	}
	ct := "application/json"
	if charset {
		ct += "; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeEnvelopeError answers with Authgear's REST error envelope.
func writeEnvelopeError(w http.ResponseWriter, status int, name, reason, message string, info map[string]any) {
	e := map[string]any{
		"name": name, "reason": reason, "message": message, "code": status,
		"tracking_id": trackingID(),
	}
	if info != nil {
		e["info"] = info
	}
	writeJSON(w, status, map[string]any{"error": e}, false)
}

func trackingID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:32] + "-" + h[32:]
}
