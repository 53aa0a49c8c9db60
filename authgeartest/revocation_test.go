package authgeartest_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

func refresh(t *testing.T, s *authgeartest.Server, rt string, hdr map[string]string, extra url.Values) answer {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"test-client"}, "refresh_token": {rt}}
	for k, v := range extra {
		form[k] = v
	}
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range hdr {
		h[k] = v
	}
	return do(t, "POST", s.URL+"/oauth2/token", h, form.Encode())
}

func userinfo(t *testing.T, s *authgeartest.Server, at string) int {
	t.Helper()
	return do(t, "GET", s.URL+"/oauth2/userinfo", map[string]string{"Authorization": "Bearer " + at}, "").status
}

func gqlErrorReason(t *testing.T, a answer) (msg, reason string, ext map[string]any) {
	t.Helper()
	errs, _ := a.json(t)["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("no errors in %s", a.body)
	}
	e := errs[0].(map[string]any)
	msg, _ = e["message"].(string)
	ext, _ = e["extensions"].(map[string]any)
	reason, _ = ext["reason"].(string)
	return msg, reason, ext
}

const setDisabled = `mutation($id: ID!, $d: Boolean!) { setDisabledStatus(input: {userID: $id, isDisabled: $d, reason: "test"}) { user { id isDisabled } } }`

func TestDisablingEndsEverySessionForGood(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	bob := s.AddUser(authgeartest.User{Email: "bob@example.com"})
	t1, _ := s.CreateSession(alice, "test-client", nil)
	t2, _ := s.CreateSession(alice, "test-client", map[string]any{"marker": "agmigrate"})
	tb, _ := s.CreateSession(bob, "test-client", nil)

	if a := gql(t, s, setDisabled, map[string]any{"id": adminapi.UserNodeID(alice), "d": true}); a.status != 200 || a.json(t)["errors"] != nil {
		t.Fatalf("disable: %d %s", a.status, a.body)
	}
	if n := s.SessionCount(alice); n != 0 {
		t.Fatalf("%d sessions survived the disable", n)
	}
	if s.SessionCount(bob) != 1 {
		t.Fatal("another user's session went too")
	}
	for _, tok := range []authgeartest.Tokens{t1, t2} {
		if a := refresh(t, s, tok.RefreshToken, nil, nil); a.status != 400 || a.json(t)["error"] != "invalid_grant" {
			t.Errorf("refresh after disable: %d %s", a.status, a.body)
		}
		if st := userinfo(t, s, tok.AccessToken); st != 401 {
			t.Errorf("userinfo after disable: %d", st)
		}
	}
	// Disabling again is an error, not a no-op.
	_, reason, ext := gqlErrorReason(t, gql(t, s, setDisabled, map[string]any{"id": adminapi.UserNodeID(alice), "d": true}))
	if info, _ := ext["info"].(map[string]any); reason != "InvalidAccountStatusTransition" || info["from"] != "disabled" || info["to"] != "disabled" {
		t.Errorf("second disable: %s %v", reason, ext)
	}
	if err := s.SetDisabledStatus(alice, true, ""); !errors.Is(err, authgeartest.ErrInvalidAccountStatusTransition) {
		t.Errorf("SetDisabledStatus on a disabled user: %v", err)
	}
	// Re-enabling brings nothing back.
	if err := s.SetDisabledStatus(alice, false, ""); err != nil {
		t.Fatal(err)
	}
	if a := refresh(t, s, t1.RefreshToken, nil, nil); a.status != 400 || s.SessionCount(alice) != 0 {
		t.Errorf("after re-enable: refresh %d, %d sessions", a.status, s.SessionCount(alice))
	}
	_, reason, _ = gqlErrorReason(t, gql(t, s, setDisabled, map[string]any{"id": adminapi.UserNodeID(alice), "d": false}))
	if reason != "InvalidAccountStatusTransition" {
		t.Errorf("enabling an enabled user: %s", reason)
	}
	// The Go helper does what the mutation does.
	s.SetUserDisabled(bob, true)
	if s.SessionCount(bob) != 0 || refresh(t, s, tb.RefreshToken, nil, nil).status != 400 {
		t.Error("SetUserDisabled left bob's session alive")
	}
}

func TestRevokeSessionAndRevokeAll(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	var toks []authgeartest.Tokens
	for i := 0; i < 3; i++ {
		tok, err := s.CreateSession(alice, "test-client", nil)
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
	}
	const revoke = `mutation($id: ID!) { revokeSession(input: {sessionID: $id}) { user { id } } }`
	sid := adminapi.NodeID("Session", toks[0].SessionID)
	if a := gql(t, s, revoke, map[string]any{"id": sid}); a.json(t)["errors"] != nil {
		t.Fatalf("revokeSession: %s", a.body)
	}
	if refresh(t, s, toks[0].RefreshToken, nil, nil).status != 400 || userinfo(t, s, toks[0].AccessToken) != 401 {
		t.Error("revoked session still works")
	}
	if refresh(t, s, toks[1].RefreshToken, nil, nil).status != 200 {
		t.Error("revokeSession ended another session")
	}
	// A session that is gone: a bare error, no extensions, no path.
	a := gql(t, s, revoke, map[string]any{"id": sid})
	errs, _ := a.json(t)["errors"].([]any)
	if len(errs) != 1 || errs[0].(map[string]any)["message"] != "unexpected error" || errs[0].(map[string]any)["extensions"] != nil || errs[0].(map[string]any)["path"] != nil {
		t.Errorf("revoking a gone session: %s", a.body)
	}
	const revokeAll = `mutation($id: ID!) { revokeAllSessions(input: {userID: $id}) { user { id } } }`
	for i := 0; i < 2; i++ { // twice: idempotent
		if a := gql(t, s, revokeAll, map[string]any{"id": adminapi.UserNodeID(alice)}); a.json(t)["errors"] != nil {
			t.Fatalf("revokeAllSessions #%d: %s", i+1, a.body)
		}
	}
	if s.SessionCount(alice) != 0 || refresh(t, s, toks[2].RefreshToken, nil, nil).status != 400 {
		t.Error("revokeAllSessions left a session")
	}
}

func TestRevocationRollsBackWithTheRequest(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	tok, _ := s.CreateSession(alice, "test-client", nil)
	q := `mutation($id: ID!, $gone: ID!) { a: setDisabledStatus(input: {userID: $id, isDisabled: true}) { user { id } } b: revokeSession(input: {sessionID: $gone}) { user { id } } }`
	a := gql(t, s, q, map[string]any{"id": adminapi.UserNodeID(alice), "gone": adminapi.NodeID("Session", "00000000-0000-4000-8000-000000000000")})
	if a.json(t)["errors"] == nil {
		t.Fatalf("expected an error: %s", a.body)
	}
	if u := mustUser(t, s, alice); u.Disabled || s.SessionCount(alice) != 1 || refresh(t, s, tok.RefreshToken, nil, nil).status != 200 {
		t.Errorf("failed request kept its effects: disabled=%v sessions=%d", u.Disabled, s.SessionCount(alice))
	}
}

func TestCreateSessionFaultAfterCommit(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := s.AddUser(authgeartest.User{Email: "alice@example.com"})
	s.SetFault("createSession", authgeartest.Fault{AfterCommit: true, Times: 1})
	q := `mutation($in: CreateSessionInput!) { createSession(input: $in) { refreshToken } }`
	a := gql(t, s, q, map[string]any{"in": map[string]any{"userID": adminapi.UserNodeID(alice), "clientID": "test-client", "deviceInfo": "eyJtYXJrZXIiOiJhZ21pZ3JhdGUifQ"}})
	if a.status != 502 {
		t.Fatalf("caller saw %d %s, want 502", a.status, a.body)
	}
	ss := s.Sessions(alice)
	if len(ss) != 1 || ss[0].DeviceInfo["marker"] != "agmigrate" {
		t.Fatalf("the fake should hold the orphaned session: %+v", ss)
	}
	// Dropped instead of a status.
	s.SetFault("createSession", authgeartest.Fault{AfterCommit: true, Drop: true, Times: 1})
	b, _ := jsonBody(map[string]any{"query": q, "variables": map[string]any{"in": map[string]any{"userID": adminapi.UserNodeID(alice), "clientID": "test-client"}}})
	req := newAdminRequest(t, s, b)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the answer was not dropped")
	}
	if s.SessionCount(alice) != 2 {
		t.Errorf("%d sessions, want 2", s.SessionCount(alice))
	}
}
