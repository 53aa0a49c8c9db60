package authgeartest

import (
	"context"
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
	})
}
