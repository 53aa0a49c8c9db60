package authgeartest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/adminapi"
)

// The fake parses whatever a test sends it; a malformed request must get an
// error answer, never a panic.
func FuzzAdminEndpoints(f *testing.F) {
	s := NewServer(Options{EnableCreateSession: true})
	f.Cleanup(s.Close)
	alice := s.AddUser(User{Email: "alice@example.com"})
	signer, _ := adminapi.NewSigner(s.AdminKey(), s.ProjectID(), 0)
	tok, _ := signer.Token(context.Background())
	for _, seed := range []struct{ path, ctype, body string }{
		{"/_api/admin/graphql", "application/json", `{"query":"{ __typename }"}`},
		{"/_api/admin/graphql", "application/json", `{"query":"query($k: String!, $v: String!) { getUserByLoginID(loginIDKey: $k, loginIDValue: $v) { id ...F } } fragment F on User { isDisabled }","variables":{"k":"email","v":"alice@example.com"}}`},
		{"/_api/admin/graphql", "application/json", `{"query":"mutation($i: CreateSessionInput!) { createSession(input: $i) { accessToken } }","variables":{"i":{"userID":"` + adminapi.UserNodeID(alice) + `","clientID":"test-client","deviceInfo":"e30"}}}`},
		{"/_api/admin/graphql", "application/graphql", `{ node(id: "VXNlcjp4") { id ... on User { sessions { totalCount edges { node { id } } } } } }`},
		{"/_api/admin/graphql", "application/json", `{"query":`},
		{"/_api/admin/users/import", "application/json", `{"identifier":"email","records":[{"email":"x@example.com","password":{"type":"bcrypt","password_hash":"x"}}]}`},
		{"/_api/admin/users/import", "application/json", `{"identifier":"phone_number","upsert":true,"records":[null,1,{"phone_number":null}]}`},
		{"/_api/admin/users/import", "application/json", `{"identifier":"email","records":[{"email":"\uff52@x.y","birthdate":"1990","address":{"country":[1]},"roles":["r"],"locale":"en_US","zoneinfo":"Asia/Tokyo","picture":"::"}]}`},
		{"/_api/admin/graphql", "application/json", `{"query":"mutation($i: ID!) { revokeSession(input: {sessionID: $i}) { user { id } } revokeAllSessions(input: {userID: $i}) { user { id } } }","variables":{"i":"U2Vzc2lvbjp4"}}`},
		{"/_api/admin/graphql", "application/json", `{"query":"mutation($i: ID!) { resetPassword(input: {userID: $i, password: \"abc\"}) { user { authenticators { totalCount } } } setDisabledStatus(input: {userID: $i, isDisabled: true}) { user { id } } }","variables":{"i":"` + adminapi.UserNodeID(alice) + `"}}`},
		{"/api/v1/authentication_flows", "application/json", `{"type":"login","name":"default"}`},
		{"/api/v1/authentication_flows/states/input", "application/json", `{"state_token":"x","input":{"identification":"email","login_id":"alice@example.com"}}`},
		{"/oauth2/token", "application/x-www-form-urlencoded", `grant_type=refresh_token&client_id=test-client&refresh_token=a.b&x_device_info=e30`},
	} {
		f.Add(seed.path, seed.ctype, seed.body)
	}
	f.Fuzz(func(t *testing.T, path, ctype, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Host = s.Host()
		w := httptest.NewRecorder()
		s.serveMain(w, req)
		if w.Code == 0 {
			t.Fatal("no status written")
		}
		// Import records are only looked at when the job runs: poll it.
		var job struct {
			Result struct{ ID string } `json:"result"`
		}
		if path == "/_api/admin/users/import" && json.Unmarshal(w.Body.Bytes(), &job) == nil && job.Result.ID != "" {
			for i := 0; i < 2; i++ {
				get := httptest.NewRequest("GET", s.URL+path+"/"+job.Result.ID, nil)
				get.Header.Set("Authorization", "Bearer "+tok)
				get.Host = s.Host()
				s.serveMain(httptest.NewRecorder(), get)
			}
		}
	})
}

// Client addresses come from request headers behind a proxy; any header
// value gives an address string, never a panic.
func FuzzClientIP(f *testing.F) {
	s := &Server{opts: Options{TrustProxy: true}}
	for _, seed := range []string{`for=192.0.2.60;proto=http`, `For="[2001:db8:cafe::17]:4711"`, `for=unknown, for=198.51.100.17`, `for=`, `;;,`, `for="`} {
		f.Add(seed, "203.0.113.1, 10.0.0.1", "198.51.100.2")
	}
	f.Fuzz(func(t *testing.T, fwd, xff, real string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Forwarded", fwd)
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("X-Real-IP", real)
		_ = s.clientIP(r)
	})
}

// Device info arrives base64url-encoded from callers; decoding and naming
// the device never panics.
func FuzzDeviceInfo(f *testing.F) {
	for _, seed := range []string{"e30", "eyJpb3MiOnsidW5hbWUiOnsibWFjaGluZSI6MX19fQ", "W10", "bnVsbA", "!!"} {
		f.Add(seed, "Mozilla/5.0 Version/17.0 Safari/605.1.15")
	}
	f.Fuzz(func(t *testing.T, raw, ua string) {
		m, ok := decodeDeviceInfo(raw)
		if ok && m == nil {
			t.Fatal("ok without an object")
		}
		g := &grant{deviceInfo: m, userAgent: ua}
		_ = g.displayName()
		_ = applicationName(m)
	})
}
