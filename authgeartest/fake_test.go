package authgeartest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// clock is a test clock the fake reads.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", a.body, err)
	}
	return m
}

func do(t *testing.T, method, u string, hdr map[string]string, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func adminToken(t *testing.T, s *authgeartest.Server) string {
	t.Helper()
	signer, err := adminapi.NewSigner(s.AdminKey(), s.ProjectID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := signer.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func gql(t *testing.T, s *authgeartest.Server, query string, vars map[string]any) answer {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return do(t, "POST", s.URL+adminapi.GraphQLPath, map[string]string{
		"Authorization": "Bearer " + adminToken(t, s), "Content-Type": "application/json",
	}, string(b))
}

func TestDiscoveryAndJWKSRotation(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{})
	d := do(t, "GET", s.URL+"/.well-known/openid-configuration", nil, "").json(t)
	if d["issuer"] != s.URL || d["jwks_uri"] != s.URL+"/oauth2/jwks" || d["token_endpoint"] != s.URL+"/oauth2/token" {
		t.Fatalf("discovery %v", d)
	}
	kids := func() []string {
		set, err := jwk.Parse(do(t, "GET", s.URL+"/oauth2/jwks", nil, "").body)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i := 0; i < set.Len(); i++ {
			k, _ := set.Key(i)
			if _, ok := k.(jwk.RSAPublicKey); !ok {
				t.Fatalf("JWKS holds a non-public key %T", k)
			}
			out = append(out, k.KeyID())
		}
		return out
	}
	first := s.SigningKeyID()
	if got := kids(); len(got) != 1 || got[0] != first {
		t.Fatalf("kids %v", got)
	}
	second := s.RotateSigningKey(true)
	if got := kids(); len(got) != 2 || got[0] != second || got[1] != first {
		t.Fatalf("after rotation keeping the old key: %v", got)
	}
	third := s.RotateSigningKey(false)
	if got := kids(); len(got) != 1 || got[0] != third {
		t.Fatalf("after rotation dropping old keys: %v", got)
	}
	if s.Calls("jwks") != 3 || s.Calls("discovery") != 1 {
		t.Errorf("calls %v", s.AllCalls())
	}
	// Another host on the main server is redirected to the public origin.
	u, _ := url.Parse(s.URL)
	req, _ := http.NewRequest("GET", s.URL+"/oauth2/jwks", nil)
	req.Host = "localhost:" + u.Port()
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 307 || resp.Header.Get("Location") != s.URL+"/oauth2/jwks" {
		t.Errorf("wrong host: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestAdminAuth(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Now()}
	s := authgeartest.New(t, authgeartest.Options{Now: c.Now})
	pemBytes, kid := s.AdminKeyPEM()
	key := parseRSA(t, pemBytes)
	now := c.Now().Unix()
	good := map[string]any{"aud": []string{"myapp"}, "iat": now, "exp": now + 300}
	hdr := map[string]any{"alg": "RS256", "kid": kid, "typ": "JWT"}
	with := func(m map[string]any, k string, v any) map[string]any {
		out := map[string]any{}
		for kk, vv := range m {
			out[kk] = vv
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name string
		auth string
		ok   bool
	}{
		{"valid", "Bearer " + signJWT(t, hdr, good, key), true},
		{"aud as string", "Bearer " + signJWT(t, hdr, with(good, "aud", "myapp"), key), true},
		{"two spaces", "Bearer  " + signJWT(t, hdr, good, key), true},
		{"expired within skew", "Bearer " + signJWT(t, hdr, with(good, "exp", now-120), key), true},
		{"no exp", "Bearer " + signJWT(t, hdr, with(with(good, "exp", nil), "iat", nil), key), true},
		{"no header", "", false},
		{"lowercase bearer", "bearer " + signJWT(t, hdr, good, key), false},
		{"wrong aud", "Bearer " + signJWT(t, hdr, with(good, "aud", []string{"other"}), key), false},
		{"expired", "Bearer " + signJWT(t, hdr, with(good, "exp", now-1800), key), false},
		{"iat in the future", "Bearer " + signJWT(t, hdr, with(good, "iat", now+3600), key), false},
		{"no kid", "Bearer " + signJWT(t, with(hdr, "kid", nil), good, key), false},
		{"unknown kid", "Bearer " + signJWT(t, with(hdr, "kid", "nope"), good, key), false},
		{"alg none", "Bearer " + signJWT(t, with(hdr, "alg", "none"), good, key), false},
		{"HS256", "Bearer " + signJWT(t, with(hdr, "alg", "HS256"), good, key), false},
		{"RS512", "Bearer " + signJWT(t, with(hdr, "alg", "RS512"), good, key), false},
		{"other key", "Bearer " + signJWT(t, hdr, good, otherKey(t)), false},
	}
	for _, tt := range tests {
		h := map[string]string{"Content-Type": "application/json"}
		if tt.auth != "" {
			h["Authorization"] = tt.auth
		}
		a := do(t, "POST", s.URL+adminapi.GraphQLPath, h, `{"query":"{ __typename }"}`)
		switch {
		case tt.ok && a.status != 200:
			t.Errorf("%s: %d %s, want 200", tt.name, a.status, a.body)
		case !tt.ok && (a.status != 403 || string(a.body) != "Forbidden\n" || a.header.Get("Content-Type") != "text/plain; charset=utf-8"):
			t.Errorf("%s: %d %q, want 403 Forbidden in plain text", tt.name, a.status, a.body)
		}
	}
}

func TestGraphQLExecution(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com", StandardAttributes: map[string]any{"name": "Alice"}})
	node := adminapi.UserNodeID(alice)

	q := `query Q($k: String!, $v: String!) {
		a: getUserByLoginID(loginIDKey: $k, loginIDValue: $v) { __typename uid: id ...F }
		b: getUserByLoginID(loginIDKey: "email", loginIDValue: "nobody@example.com") { id }
		n: node(id: "` + node + `") { ... on User { isDisabled @skip(if: true) isDeactivated } }
	}
	fragment F on User { standardAttributes }`
	got := gql(t, s, q, map[string]any{"k": "email", "v": "alice@example.com"}).json(t)
	want := `{"data":{"a":{"__typename":"User","standardAttributes":{"email":"alice@example.com","email_verified":false,"name":"Alice","updated_at":` +
		itoa(mustUser(t, s, alice).UpdatedAt.Unix()) + `},"uid":"` + node + `"},"b":null,"n":{"isDeactivated":false}}}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if s.Calls("getUserByLoginID") != 2 || s.Calls("node") != 1 {
		t.Errorf("calls %v", s.AllCalls())
	}

	auth := map[string]string{"Authorization": "Bearer " + adminToken(t, s), "Content-Type": "application/json"}
	cases := []struct {
		name, ctype, body string
		status            int
		check             func(answer) bool
	}{
		{"unknown field", "", `{"query":"{ getUserByLoginID(loginIDKey: \"email\", loginIDValue: \"a@b.c\") { nope } }"}`, 200,
			func(a answer) bool {
				return strings.Contains(string(a.body), `"data":null`) && strings.Contains(string(a.body), `Cannot query field \"nope\" on type \"User\".`)
			}},
		{"missing variable", "", `{"query":"query($v: String!) { getUserByLoginID(loginIDKey: \"email\", loginIDValue: $v) { id } }"}`, 200,
			func(a answer) bool {
				return strings.Contains(string(a.body), `Variable \"$v\" of required type \"String!\" was not provided.`)
			}},
		{"operation name", "", `{"query":"query A { __typename } query B { b: __typename }","operationName":"B"}`, 200,
			func(a answer) bool { return string(a.body) == `{"data":{"b":"Query"}}` }},
		{"unknown operation name", "", `{"query":"query A { __typename }","operationName":"C"}`, 200,
			func(a answer) bool { return strings.Contains(string(a.body), `"unexpected error"`) }},
		{"syntax error", "", `{"query":"{ getUserByLoginID("}`, 500,
			func(a answer) bool { return strings.Contains(string(a.body), `"InternalError"`) }},
		{"malformed JSON", "", `{"query":`, 400,
			func(a answer) bool { return strings.Contains(string(a.body), `"InvalidJSON"`) }},
		{"six mutations", "", `{"query":"mutation { a: setDisabledStatus(input:{userID:\"x\",isDisabled:true}){user{id}} b: setDisabledStatus(input:{userID:\"x\",isDisabled:true}){user{id}} c: setDisabledStatus(input:{userID:\"x\",isDisabled:true}){user{id}} d: setDisabledStatus(input:{userID:\"x\",isDisabled:true}){user{id}} e: setDisabledStatus(input:{userID:\"x\",isDisabled:true}){user{id}} f: setDisabledStatus(input:{userID:\"x\",isDisabled:true}){user{id}} }"}`, 400,
			func(a answer) bool { return strings.Contains(string(a.body), "got 6, limit is 5") }},
		{"text/plain", "text/plain", `{"query":"{ __typename }"}`, 415,
			func(a answer) bool { return string(a.body) == "invalid content type: text/plain\n" }},
		{"application/graphql", "application/graphql", `{ __typename }`, 200,
			func(a answer) bool { return string(a.body) == `{"data":{"__typename":"Query"}}` }},
	}
	for _, tc := range cases {
		h := map[string]string{}
		for k, v := range auth {
			h[k] = v
		}
		if tc.ctype != "" {
			h["Content-Type"] = tc.ctype
		}
		a := do(t, "POST", s.URL+adminapi.GraphQLPath, h, tc.body)
		if a.status != tc.status || !tc.check(a) {
			t.Errorf("%s: %d %s", tc.name, a.status, a.body)
		}
	}
}

func mustUser(t *testing.T, s *authgeartest.Server, id string) authgeartest.User {
	u, ok := s.User(id)
	if !ok {
		t.Fatalf("no user %s", id)
	}
	return u
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

const createSessionQ = `mutation($input: CreateSessionInput!) { createSession(input: $input) { accessToken refreshToken tokenType expiresIn } }`

func TestCreateSessionTokens(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com", Roles: []string{"editor"}})
	a := gql(t, s, createSessionQ, map[string]any{"input": map[string]any{"userID": adminapi.UserNodeID(alice), "clientID": "test-client"}}).json(t)
	cs := a["data"].(map[string]any)["createSession"].(map[string]any)
	at := cs["accessToken"].(string)
	msg, err := jws.Parse([]byte(at))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if h.Algorithm().String() != "RS256" || h.Type() != "at+jwt" || h.KeyID() != s.SigningKeyID() {
		t.Errorf("header alg %s typ %s kid %s", h.Algorithm(), h.Type(), h.KeyID())
	}
	tok, err := jwt.ParseString(at, jwt.WithKeySet(s.PublicKeys()), jwt.WithIssuer(s.URL), jwt.WithAudience(s.URL))
	if err != nil {
		t.Fatal(err)
	}
	claims := tok.PrivateClaims()
	for _, c := range []string{"client_id", "scope", "auth_time", "https://authgear.com/claims/user/is_anonymous", "https://authgear.com/claims/user/is_verified", "https://authgear.com/claims/user/can_reauthenticate", "https://authgear.com/claims/user/roles"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("claim %s missing", c)
		}
	}
	if tok.Subject() != alice || len(tok.JwtID()) != 64 || tok.Expiration().Sub(tok.IssuedAt()) != 30*time.Minute {
		t.Errorf("sub %s jti %s lifetime %v", tok.Subject(), tok.JwtID(), tok.Expiration().Sub(tok.IssuedAt()))
	}
	if roles := claims["https://authgear.com/claims/user/roles"].([]any); len(roles) != 1 || roles[0] != "editor" {
		t.Errorf("roles %v", roles)
	}
	if rt := cs["refreshToken"].(string); !strings.HasPrefix(rt, s.Sessions(alice)[0].ID+".") || len(rt) != 36+1+32 {
		t.Errorf("refresh token %q is not <grant uuid>.<32 chars>", rt)
	}
	// The access token works at userinfo.
	ui := do(t, "GET", s.URL+"/oauth2/userinfo", map[string]string{"Authorization": "Bearer " + at}, "")
	if ui.status != 200 || ui.json(t)["sub"] != alice {
		t.Errorf("userinfo %d %s", ui.status, ui.body)
	}
}

// A request whose result has errors changes nothing, as in Authgear, where
// each request is one transaction.
func TestMutationsRollBackOnError(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	q := `mutation($ok: CreateSessionInput!, $bad: CreateSessionInput!) { a: createSession(input: $ok) { tokenType } b: createSession(input: $bad) { tokenType } }`
	a := gql(t, s, q, map[string]any{
		"ok":  map[string]any{"userID": adminapi.UserNodeID(alice), "clientID": "test-client"},
		"bad": map[string]any{"userID": adminapi.UserNodeID(alice), "clientID": "nope"},
	}).json(t)
	if a["data"] != nil || a["errors"] == nil {
		t.Fatalf("got %v", a)
	}
	if n := s.SessionCount(alice); n != 0 {
		t.Errorf("%d sessions left behind by a failed request", n)
	}
	if s.Calls("createSession") != 2 {
		t.Errorf("createSession counted %d times", s.Calls("createSession"))
	}
}

func TestOpaqueAccessTokens(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true, Clients: []authgeartest.Client{{ID: "web", OpaqueAccessTokens: true}}})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	sess, err := s.AdminClient().CreateSession(context.Background(), adminapi.UserNodeID(alice), "web", nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(sess.AccessToken, "eyJ") {
		t.Fatalf("client with opaque tokens issued a JWT")
	}
	if ui := do(t, "GET", s.URL+"/oauth2/userinfo", map[string]string{"Authorization": "Bearer " + sess.AccessToken}, ""); ui.status != 200 {
		t.Errorf("userinfo: %d", ui.status)
	}
	s.SetUserDisabled(alice, true)
	ui := do(t, "GET", s.URL+"/oauth2/userinfo", map[string]string{"Authorization": "Bearer " + sess.AccessToken}, "")
	if ui.status != 401 || !strings.Contains(ui.header.Get("WWW-Authenticate"), `error="invalid_grant"`) {
		t.Errorf("disabled user: %d %v", ui.status, ui.header)
	}
}

func TestRefreshGrant(t *testing.T) {
	t.Parallel()
	c := &clock{now: time.Now()}
	s := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true, Now: c.Now, Clients: []authgeartest.Client{
		{ID: "app", RefreshTokenLifetime: 24 * time.Hour},
		{ID: "rotating", RotateRefreshTokens: true},
	}})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	bob := s.AddUser(authgeartest.User{Email: "bob@example.com"})
	admin := s.AdminClient()
	session := func(user, client string) *adminapi.Session {
		sess, err := admin.CreateSession(context.Background(), adminapi.UserNodeID(user), client, nil)
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	refresh := func(form url.Values) answer {
		return do(t, "POST", s.URL+"/oauth2/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	}
	rt := session(alice, "app").RefreshToken
	ok := refresh(url.Values{"grant_type": {"refresh_token"}, "client_id": {"app"}, "refresh_token": {rt}})
	m := ok.json(t)
	if ok.status != 200 || m["token_type"] != "Bearer" || m["access_token"] == nil || m["id_token"] == nil || m["refresh_token"] != nil {
		t.Fatalf("refresh: %d %s", ok.status, ok.body)
	}
	if ok.header.Get("Cache-Control") != "no-store" {
		t.Error("no Cache-Control: no-store on the token response")
	}
	oauthErr := func(name string, a answer, code string) {
		t.Helper()
		if a.status != 400 || a.json(t)["error"] != code {
			t.Errorf("%s: %d %s, want 400 %s", name, a.status, a.body, code)
		}
	}
	oauthErr("unknown client", refresh(url.Values{"grant_type": {"refresh_token"}, "client_id": {"nope"}, "refresh_token": {rt}}), "invalid_client")
	oauthErr("no client", refresh(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}), "invalid_client")
	oauthErr("other client's token", refresh(url.Values{"grant_type": {"refresh_token"}, "client_id": {"rotating"}, "refresh_token": {rt}}), "invalid_request")
	oauthErr("no grant type", refresh(url.Values{"client_id": {"app"}, "refresh_token": {rt}}), "unsupported_grant_type")
	oauthErr("bogus token", refresh(url.Values{"grant_type": {"refresh_token"}, "client_id": {"app"}, "refresh_token": {"bogus"}}), "invalid_grant")

	// Rotation: the new refresh token works, the old one stops.
	old := session(bob, "rotating").RefreshToken
	r1 := refresh(url.Values{"grant_type": {"refresh_token"}, "client_id": {"rotating"}, "refresh_token": {old}}).json(t)
	next, _ := r1["refresh_token"].(string)
	if next == "" || next == old {
		t.Fatalf("rotation gave %q", next)
	}
	oauthErr("rotated-out token", refresh(url.Values{"grant_type": {"refresh_token"}, "client_id": {"rotating"}, "refresh_token": {old}}), "invalid_grant")
	if a := refresh(url.Values{"grant_type": {"refresh_token"}, "client_id": {"rotating"}, "refresh_token": {next}}); a.status != 200 {
		t.Errorf("rotated token: %d", a.status)
	}

	// Disabled user and expired refresh token.
	s.SetUserDisabled(alice, true)
	oauthErr("disabled user", refresh(url.Values{"grant_type": {"refresh_token"}, "client_id": {"app"}, "refresh_token": {rt}}), "invalid_grant")
	s.SetUserDisabled(alice, false)
	c.Advance(25 * time.Hour)
	oauthErr("expired refresh token", refresh(url.Values{"grant_type": {"refresh_token"}, "client_id": {"app"}, "refresh_token": {rt}}), "invalid_grant")
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{})
	c := s.AdminClient()
	ctx := context.Background()

	s.SetFault("getUserByLoginID", authgeartest.Fault{Latency: 500 * time.Millisecond, Times: 1})
	start := time.Now()
	_, _ = c.GetUserByLoginID(ctx, "email", "a@example.com")
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("latency fault: answered after %v", d)
	}
	// Times: 1 strikes once, then the endpoint answers normally (checked by
	// outcome, not by how long the call took).
	s.SetFault("getUserByLoginID", authgeartest.Fault{Status: 503, Times: 1})
	if _, err := c.GetUserByLoginID(ctx, "email", "a@example.com"); err == nil || errors.Is(err, adminapi.ErrUserNotFound) {
		t.Errorf("first call under a Times: 1 fault: %v, want the injected failure", err)
	}
	if _, err := c.GetUserByLoginID(ctx, "email", "a@example.com"); !errors.Is(err, adminapi.ErrUserNotFound) {
		t.Errorf("fault with Times: 1 still applied: %v", err)
	}

	s.SetFault("jwks", authgeartest.Fault{Status: 503})
	if a := do(t, "GET", s.URL+"/oauth2/jwks", nil, ""); a.status != 503 {
		t.Errorf("status fault: %d", a.status)
	}
	s.ClearFault("jwks")
	if a := do(t, "GET", s.URL+"/oauth2/jwks", nil, ""); a.status != 200 {
		t.Errorf("after ClearFault: %d", a.status)
	}

	s.SetFault("token", authgeartest.Fault{Drop: true})
	if _, err := http.Post(s.URL+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader("")); err == nil {
		t.Error("drop fault: got an answer")
	}
}

// AdminOnlyOnAdminListener: the Admin API answers only on its own
// listener, as a self-hosted Authgear without an ingress route does.
func TestAdminOnlyOnAdminListener(t *testing.T) {
	t.Parallel()
	for _, only := range []bool{false, true} {
		s := authgeartest.New(t, authgeartest.Options{AdminListener: true, AdminOnlyOnAdminListener: only})
		resp, err := http.Post(s.URL+"/_api/admin/graphql", "application/json", strings.NewReader(`{"query":"{__typename}"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{false: http.StatusForbidden, true: http.StatusNotFound}[only]; resp.StatusCode != want {
			t.Errorf("only=%v: the public origin answered %d, want %d", only, resp.StatusCode, want)
		}
		if _, err := s.AdminClient().GetUserByLoginID(context.Background(), "email", "a@example.com"); !errors.Is(err, adminapi.ErrUserNotFound) {
			t.Errorf("only=%v: the admin listener: %v", only, err)
		}
	}
}
