package authgeartest_test

import (
	"encoding/base64"
	"net/url"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

func lookup(t *testing.T, s *authgeartest.Server, v string) any {
	t.Helper()
	a := gql(t, s, `query($v: String!) { getUserByLoginID(loginIDKey: "email", loginIDValue: $v) { id } }`, map[string]any{"v": v})
	d, _ := a.json(t)["data"].(map[string]any)
	if d == nil {
		t.Fatalf("lookup %q: %s", v, a.body)
	}
	if u, _ := d["getUserByLoginID"].(map[string]any); u != nil {
		return u["id"]
	}
	return nil
}

func TestLoginIDsAreNormalisedAsAuthgearDoes(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{})
	// Creation trims and normalises; what is stored is the normalised form.
	id := s.AddUser(authgeartest.User{Email: "  Rec1@REC.test "})
	if u := mustUser(t, s, id); u.Email != "rec1@rec.test" {
		t.Errorf("stored %q", u.Email)
	}
	node := adminapi.UserNodeID(id)
	for _, v := range []string{"rec1@rec.test", "REC1@rec.test", "\uff52ec1@rec.test"} {
		if got := lookup(t, s, v); got != node {
			t.Errorf("lookup %q = %v, want the user", v, got)
		}
	}
	// Lookups do not trim, and a look-alike domain is another account.
	for _, v := range []string{"rec1@rec.test ", "rec1@\uff52ec.test", "r.ec1@rec.test"} {
		if got := lookup(t, s, v); got != nil {
			t.Errorf("lookup %q found %v", v, got)
		}
	}
	const create = `mutation($v: String!) { createUser(input: {definition: {loginID: {key: "email", value: $v}}}) { user { id } } }`
	if _, reason, _ := gqlErrorReason(t, gql(t, s, create, map[string]any{"v": "\uff52ec1@rec.test"})); reason != "InvariantViolated" {
		t.Errorf("NFKC duplicate: %s", reason)
	}
	if a := gql(t, s, create, map[string]any{"v": "rec1@\uff52ec.test"}); a.json(t)["errors"] != nil {
		t.Errorf("look-alike domain refused: %s", a.body)
	}
	// With ignore_dot_sign the dotted form is the same account.
	d := authgeartest.New(t, authgeartest.Options{IgnoreDotSign: true})
	d.AddUser(authgeartest.User{Email: "rec1@rec.test"})
	if lookup(t, d, "r.ec1@rec.test") == nil {
		t.Error("ignore_dot_sign: dotted lookup missed")
	}
}

func TestRefreshRecordsUserAgentAndDeviceInfo(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	ios := map[string]any{"ios": map[string]any{"uname": map[string]any{"machine": "iPhone15,2"}, "NSBundle": map[string]any{"CFBundleDisplayName": "Test App"}}}
	tok, _ := s.CreateSession(alice, "test-client", ios)
	if si, _ := s.Session(tok.SessionID); si.DisplayName != "iPhone 14 Pro" || si.ApplicationName != "Test App" {
		t.Fatalf("created: %+v", si)
	}
	if a := refresh(t, s, tok.RefreshToken, map[string]string{"User-Agent": "agmigrate-test/1.0"}, nil); a.status != 200 {
		t.Fatal(a.status)
	}
	si, _ := s.Session(tok.SessionID)
	if si.UserAgent != "agmigrate-test/1.0" || si.DeviceInfo != nil || si.DisplayName != "" || si.Refreshes != 1 {
		t.Errorf("after a refresh without x_device_info: %+v", si)
	}
	safari := "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"
	refresh(t, s, tok.RefreshToken, map[string]string{"User-Agent": safari}, nil)
	if si, _ := s.Session(tok.SessionID); si.DisplayName != "Safari 17.0" {
		t.Errorf("Safari UA: %q", si.DisplayName)
	}
	enc := func(js string) string { return base64.RawURLEncoding.EncodeToString([]byte(js)) }
	for _, bad := range []string{"not base64!", enc(`[1]`), enc(`{"platform":"agmigrate"}`)} {
		a := refresh(t, s, tok.RefreshToken, nil, url.Values{"x_device_info": {bad}})
		if a.status != 400 || a.json(t)["error"] != "invalid_request" {
			t.Errorf("x_device_info %q: %d %s", bad, a.status, a.body)
		}
	}
	if si, _ := s.Session(tok.SessionID); si.Refreshes != 2 {
		t.Errorf("refused refreshes counted: %d", si.Refreshes)
	}
}

func TestPasswords(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{})
	bob := s.AddUser(authgeartest.User{Email: "bob@example.com"})
	const reset = `mutation($id: ID!, $pw: String!) { resetPassword(input: {userID: $id, password: $pw}) { user { id authenticators { totalCount edges { node { type kind isDefault } } } } } }`
	_, reason, ext := gqlErrorReason(t, gql(t, s, reset, map[string]any{"id": adminapi.UserNodeID(bob), "pw": "abc"}))
	info, _ := ext["info"].(map[string]any)
	if reason != "PasswordPolicyViolated" || info == nil {
		t.Fatalf("weak password: %s %v", reason, ext)
	}
	if s.CheckPassword("bob@example.com", "abc") {
		t.Error("a refused password was kept")
	}
	a := gql(t, s, reset, map[string]any{"id": adminapi.UserNodeID(bob), "pw": "Strong-Passw0rd!"})
	if a.json(t)["errors"] != nil {
		t.Fatalf("resetPassword: %s", a.body)
	}
	if !s.CheckPassword("BOB@example.com", "Strong-Passw0rd!") || s.CheckPassword("bob@example.com", "wrong-password") {
		t.Error("CheckPassword does not see the reset password")
	}
	if u := mustUser(t, s, bob); !u.LastLoginAt.IsZero() || s.SessionCount(bob) != 0 {
		t.Error("CheckPassword signed the user in")
	}
	const create = `mutation($v: String!, $pw: String) { createUser(input: {definition: {loginID: {key: "email", value: $v}}, password: $pw}) { user { id } } }`
	if _, reason, _ := gqlErrorReason(t, gql(t, s, create, map[string]any{"v": "carol@example.com", "pw": "short"})); reason != "PasswordPolicyViolated" {
		t.Errorf("createUser weak password: %s", reason)
	}
	if a := gql(t, s, create, map[string]any{"v": "carol@example.com", "pw": "Carol-Passw0rd!"}); a.json(t)["errors"] != nil {
		t.Fatalf("createUser: %s", a.body)
	}
	if !s.CheckPassword("carol@example.com", "Carol-Passw0rd!") {
		t.Error("createUser's password does not check")
	}
	// A password sent with an upsert import is dropped.
	res := importAndWait(t, s, `{"upsert":true,"identifier":"email","records":[{"email":"bob@example.com","password":{"type":"bcrypt","password_hash":"$2a$10$SzHs5IoxKip.bE2Qukqywui2VT9mjGGZrr6EsxCrImwRvHR6f3E82"}}]}`)
	if d := res["details"].([]any)[0].(map[string]any); d["outcome"] != "updated" || d["warnings"] != nil || !s.CheckPassword("bob@example.com", "Strong-Passw0rd!") {
		t.Errorf("upsert with a password: %v", d)
	}
}

func TestTokenRateLimits(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Now()}
	s := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true, Now: clk.Now, TrustProxy: true})
	var toks []string
	for i := 0; i < 5; i++ {
		id := s.AddUser(authgeartest.User{Email: "u" + itoa(int64(i)) + "@example.com"})
		tok, _ := s.CreateSession(id, "test-client", nil)
		toks = append(toks, tok.RefreshToken)
	}
	ip := func(n string) map[string]string { return map[string]string{"X-Forwarded-For": n + ", 10.0.0.1"} }
	// Per user: 60 a minute.
	for i := 0; i < 60; i++ {
		if a := refresh(t, s, toks[0], ip("203.0.113.1"), nil); a.status != 200 {
			t.Fatalf("refresh #%d: %d", i+1, a.status)
		}
	}
	a := refresh(t, s, toks[0], ip("203.0.113.1"), nil)
	if a.status != 429 || a.json(t)["error"] != "x_rate_limited" || a.header.Get("Retry-After") != "" {
		t.Fatalf("61st refresh: %d %s %v", a.status, a.body, a.header)
	}
	clk.Advance(time.Second) // one token back
	if refresh(t, s, toks[0], ip("203.0.113.1"), nil).status != 200 {
		t.Error("bucket did not refill on the fake clock")
	}
	// Per client IP: 120 a minute, whoever the user (three users, 40 each,
	// stay under their own limit); another IP is not affected.
	clk.Advance(time.Minute)
	n := 0
	for i := 0; ; i++ {
		st := refresh(t, s, toks[1+i%3], map[string]string{"Forwarded": `for="198.51.100.7:4711"`}, nil).status
		if st == 429 {
			break
		}
		n++
		if n > 200 {
			t.Fatal("no per-IP limit")
		}
	}
	if n != 120 {
		t.Errorf("%d refreshes from one IP before 429, want 120", n)
	}
	if refresh(t, s, toks[4], ip("192.0.2.9"), nil).status != 200 {
		t.Error("another IP was limited")
	}
}

func TestAdminMutationBucket(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Now()}
	s := authgeartest.New(t, authgeartest.Options{Now: clk.Now, AdminMutationsPerMinute: 2})
	id := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	const upd = `mutation($id: ID!) { updateUser(input: {userID: $id, standardAttributes: {name: "x"}}) { user { id } } }`
	for i := 0; i < 2; i++ {
		if a := gql(t, s, upd, map[string]any{"id": adminapi.UserNodeID(id)}); a.json(t)["errors"] != nil {
			t.Fatalf("mutation %d: %s", i+1, a.body)
		}
	}
	if _, reason, _ := gqlErrorReason(t, gql(t, s, upd, map[string]any{"id": adminapi.UserNodeID(id)})); reason != "RateLimited" {
		t.Errorf("third mutation: %s", reason)
	}
	// Queries are not counted, and the default is no limit.
	if lookup(t, s, "alice@example.com") == nil {
		t.Error("query limited")
	}
}

func TestSignInThroughTheFlowIsARealLogin(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{LoginIDKeys: []string{"email"}})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com", PasswordHash: "$2a$04$c1xcKqJDnsiBA9C3YEsORu8aQCBMzBnU.FiNtky0SHXlxjgybadPi"})
	if !s.CheckPassword("alice@example.com", "password1") || len(s.LoginSessions(alice)) != 0 {
		t.Fatal("CheckPassword: wrong answer or a login session")
	}
	hdr := map[string]string{"Content-Type": "application/json"}
	a := do(t, "POST", s.URL+"/api/v1/authentication_flows", hdr, `{"type":"login","name":"default"}`)
	tok := a.json(t)["result"].(map[string]any)["state_token"].(string)
	a = do(t, "POST", s.URL+"/api/v1/authentication_flows/states/input", hdr, `{"state_token":"`+tok+`","input":{"identification":"email","login_id":"ALICE@example.com"}}`)
	tok = a.json(t)["result"].(map[string]any)["state_token"].(string)
	wrong := do(t, "POST", s.URL+"/api/v1/authentication_flows/states/input", hdr, `{"state_token":"`+tok+`","input":{"authentication":"primary_password","password":"nope"}}`)
	if e, _ := wrong.json(t)["error"].(map[string]any); wrong.status != 401 || e["reason"] != "InvalidCredentials" {
		t.Fatalf("wrong password: %d %s", wrong.status, wrong.body)
	}
	a = do(t, "POST", s.URL+"/api/v1/authentication_flows/states/input", hdr, `{"state_token":"`+tok+`","input":{"authentication":"primary_password","password":"password1"}}`)
	if act := a.json(t)["result"].(map[string]any)["action"].(map[string]any); a.status != 200 || act["type"] != "finished" {
		t.Fatalf("login: %d %s", a.status, a.body)
	}
	if ls := s.LoginSessions(alice); len(ls) != 1 || ls[0].Type != "IDP" || s.SessionCount(alice) != 0 || mustUser(t, s, alice).LastLoginAt.IsZero() {
		t.Errorf("after a login: %+v, %d offline sessions", ls, s.SessionCount(alice))
	}
}

func TestUsersQueryPages(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{})
	for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		s.AddUser(authgeartest.User{Email: e})
	}
	const q = `query($first: Int!, $after: String) { users(first: $first, after: $after, sortBy: CREATED_AT, sortDirection: ASC) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`
	var seen int
	var after any
	for page := 0; page < 5; page++ {
		a := gql(t, s, q, map[string]any{"first": 2, "after": after})
		conn := a.json(t)["data"].(map[string]any)["users"].(map[string]any)
		seen += len(conn["edges"].([]any))
		pi := conn["pageInfo"].(map[string]any)
		if pi["hasNextPage"] != true {
			break
		}
		after = pi["endCursor"]
	}
	if seen != 3 {
		t.Errorf("paged through %d users, want 3", seen)
	}
}
