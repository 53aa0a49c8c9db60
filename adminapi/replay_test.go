package adminapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/internal/reference"
)

// recording is one request/response pair recorded from a real Authgear.
type recording struct {
	Response struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	} `json:"response"`
}

// replay serves the recorded response of case name to every request, and
// keeps the GraphQL requests it got, so a test checks the client against
// what the real server answered.
type replay struct {
	mu   sync.Mutex
	reqs []map[string]any
}

func (rp *replay) last() map[string]any {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if len(rp.reqs) == 0 {
		return nil
	}
	return rp.reqs[len(rp.reqs)-1]
}

var keyOnce struct {
	sync.Once
	key *adminapi.AdminKey
	err error
}

// replayKey is one admin key for every replay server (they check nothing).
func replayKey(t *testing.T) *adminapi.AdminKey {
	keyOnce.Do(func() {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			keyOnce.err = err
			return
		}
		keyOnce.key, keyOnce.err = adminapi.NewAdminKey(priv, "replay-key")
	})
	if keyOnce.err != nil {
		t.Fatal(keyOnce.err)
	}
	return keyOnce.key
}

func replayClient(t *testing.T, name string) (*adminapi.Client, *replay) {
	t.Helper()
	dir := reference.Require(t, "authgear-responses")
	matches, _ := filepath.Glob(filepath.Join(dir, name+"-*.json"))
	if len(matches) != 1 {
		t.Fatalf("recording %s: %d files", name, len(matches))
	}
	raw, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec recording
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	body := withTypename(t, rec.Response.Body)
	rp := &replay{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req map[string]any
		_ = json.Unmarshal(b, &req)
		rp.mu.Lock()
		rp.reqs = append(rp.reqs, req)
		rp.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(rec.Response.Status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := adminapi.New(adminapi.Config{Endpoint: srv.URL, ProjectID: "myapp", Key: replayKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	return c, rp
}

// withTypename adds "__typename": "User" to a recorded data.node that
// lacks it: the recording script did not ask for it, but genqlient always
// does for an interface-typed field, and Authgear answers it.
func withTypename(t *testing.T, body json.RawMessage) []byte {
	t.Helper()
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	data, _ := m["data"].(map[string]any)
	node, _ := data["node"].(map[string]any)
	if node == nil || node["__typename"] != nil {
		return body
	}
	node["__typename"] = "User"
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func vars(t *testing.T, rp *replay) map[string]any {
	t.Helper()
	req := rp.last()
	if req == nil {
		t.Fatal("no request reached the server")
	}
	v, _ := req["variables"].(map[string]any)
	return v
}

// Node IDs from the recordings.
const (
	recRevokeUser  = "VXNlcjo5ODgzODM2ZC1kNGUwLTQxZTMtYTRjOS05ZTZhZGUwYWE0MzY"
	recSession1    = "U2Vzc2lvbjo0MjUwMmZiMi1hYWVjLTRkMzgtYTNmOS05NDdiMzhlNWUyYjY"
	recDisableUser = "VXNlcjpkZGZmMDFjZC0xZGEyLTRiYjEtODhmYy0xNWYyOGY0ZDdkMmE"
	recResetUser   = "VXNlcjo4Zjg5ZTk1Yy01NzQ2LTRmZTgtYWNkYS1kMjMxM2Q1OTNiZTA"
	recImportUser  = "VXNlcjo5MmRmNzg2YS0wMTYxLTRkNzQtOWU0NS04N2JmMWE3ZjRiM2E"
	recCreatedUser = "VXNlcjoyMjk2M2QzZS05MTM4LTQzYWEtYTgxYi02YTNjMDk5NjcxMTQ"
)

func TestReplayListSessions(t *testing.T) {
	t.Parallel()
	c, rp := replayClient(t, "124")
	ss, err := c.ListSessions(ctx(t), recRevokeUser)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 3 {
		t.Fatalf("%d sessions, want 3", len(ss))
	}
	want0 := adminapi.UserSession{
		NodeID:         "U2Vzc2lvbjpjMGFhNjAwOS03YWNhLTQ1ODgtOWNiZS03YTI0MmZmZGExOWE",
		ID:             "c0aa6009-7aca-4588-9cbe-7a242ffda19a",
		Type:           adminapi.SessionTypeOfflineGrant,
		ClientID:       "test-client",
		CreatedAt:      time.Date(2026, 11, 28, 7, 19, 2, 19842842, time.UTC),
		LastAccessedAt: time.Date(2026, 11, 28, 7, 19, 2, 19842842, time.UTC),
	}
	if !reflect.DeepEqual(ss[0], want0) {
		t.Errorf("session 0 = %+v\nwant %+v", ss[0], want0)
	}
	if v := vars(t, rp); v["userID"] != recRevokeUser {
		t.Errorf("variables %v", v)
	}
}

func TestReplaySessionDeviceFields(t *testing.T) {
	t.Parallel()
	// Case 173 is a nodes(ids:) query; its Session objects have every
	// field ListSessions reads. Wrap them as one user's sessions.
	dir := reference.Require(t, "authgear-responses")
	matches, _ := filepath.Glob(filepath.Join(dir, "173-*.json"))
	if len(matches) != 1 {
		t.Fatal("case 173 missing")
	}
	raw, _ := os.ReadFile(matches[0])
	var rec struct {
		Response struct {
			Body struct {
				Data struct {
					Nodes []json.RawMessage `json:"nodes"`
				} `json:"data"`
			} `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	var edges []string
	for _, n := range rec.Response.Body.Data.Nodes {
		edges = append(edges, `{"node":`+string(n)+`}`)
	}
	body := `{"data":{"node":{"__typename":"User","id":"` + recRevokeUser + `","sessions":{"edges":[` + strings.Join(edges, ",") + `],"pageInfo":{"hasNextPage":false,"endCursor":null}}}}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := adminapi.New(adminapi.Config{Endpoint: srv.URL, ProjectID: "myapp", Key: replayKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := c.ListSessions(ctx(t), recRevokeUser)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 {
		t.Fatalf("%d sessions", len(ss))
	}
	if ss[0].DisplayName != "iPhone 14 Pro" || ss[0].ApplicationName != "Test App" || ss[0].UserAgent != "agm-admin-recorder/1.0" || ss[0].CreatedByIP != "127.0.0.1" {
		t.Errorf("session A = %+v", ss[0])
	}
	if ss[1].DisplayName != "" || ss[1].ApplicationName != "" {
		t.Errorf("session B = %+v", ss[1])
	}
}

func TestReplayRevoke(t *testing.T) {
	t.Parallel()
	t.Run("revokeSession", func(t *testing.T) {
		c, rp := replayClient(t, "125")
		if err := c.RevokeSession(ctx(t), recSession1); err != nil {
			t.Fatal(err)
		}
		if v := vars(t, rp); v["sessionID"] != recSession1 {
			t.Errorf("variables %v", v)
		}
	})
	t.Run("revokeSession on a gone session", func(t *testing.T) {
		c, _ := replayClient(t, "130")
		err := c.RevokeSession(ctx(t), recSession1)
		if !errors.Is(err, adminapi.ErrSessionNotFound) {
			t.Fatalf("err = %v, want ErrSessionNotFound", err)
		}
		if errors.Is(err, adminapi.ErrTransient) {
			t.Error("a gone session must not read as transient (it would be retried forever)")
		}
	})
	t.Run("revokeAllSessions", func(t *testing.T) {
		for _, name := range []string{"131", "136"} {
			c, rp := replayClient(t, name)
			if err := c.RevokeAllSessions(ctx(t), recRevokeUser); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if v := vars(t, rp); v["userID"] != recRevokeUser {
				t.Errorf("variables %v", v)
			}
		}
	})
	t.Run("wrong node type refused before any request", func(t *testing.T) {
		c, rp := replayClient(t, "125")
		if err := c.RevokeSession(ctx(t), recRevokeUser); !errors.Is(err, adminapi.ErrInvalidNodeID) {
			t.Errorf("err = %v", err)
		}
		if err := c.RevokeAllSessions(ctx(t), recSession1); !errors.Is(err, adminapi.ErrInvalidNodeID) {
			t.Errorf("err = %v", err)
		}
		if rp.last() != nil {
			t.Error("a request was sent")
		}
	})
}

func TestReplaySetDisabledStatus(t *testing.T) {
	t.Parallel()
	c, rp := replayClient(t, "111")
	if err := c.SetDisabledStatus(ctx(t), recDisableUser, true, "rec-test"); err != nil {
		t.Fatal(err)
	}
	if v := vars(t, rp); v["userID"] != recDisableUser || v["isDisabled"] != true || v["reason"] != "rec-test" {
		t.Errorf("variables %v", v)
	}
	for _, tc := range []struct{ name, from, to string }{{"115", "disabled", "disabled"}, {"117", "normal", "normal"}} {
		c, _ := replayClient(t, tc.name)
		err := c.SetDisabledStatus(ctx(t), recDisableUser, tc.to == "disabled", "")
		if !errors.Is(err, adminapi.ErrStatusUnchanged) {
			t.Fatalf("%s: err = %v, want ErrStatusUnchanged", tc.name, err)
		}
		from, to, ok := adminapi.StatusTransition(err)
		if !ok || from != tc.from || to != tc.to {
			t.Errorf("%s: transition %q -> %q (%v)", tc.name, from, to, ok)
		}
	}
}

func TestReplayPasswords(t *testing.T) {
	t.Parallel()
	t.Run("resetPassword weak", func(t *testing.T) {
		c, rp := replayClient(t, "147")
		err := c.ResetPassword(ctx(t), recResetUser, "abc")
		if !errors.Is(err, adminapi.ErrPasswordPolicy) {
			t.Fatalf("err = %v", err)
		}
		vs := adminapi.PasswordPolicyViolations(err)
		if len(vs) != 1 || vs[0].Name != "PasswordTooShort" || vs[0].Info["min_length"] != float64(8) {
			t.Errorf("violations %v", vs)
		}
		if strings.Contains(err.Error(), "abc") {
			t.Error("the error shows the password")
		}
		v := vars(t, rp)
		if v["sendPassword"] != nil || v["password"] != "abc" {
			t.Errorf("variables %v", v)
		}
		q, _ := rp.last()["query"].(string)
		if !strings.Contains(q, "sendPassword:false") || !strings.Contains(q, "setPasswordExpired:false") {
			t.Errorf("query does not pin sendPassword/setPasswordExpired to false: %s", q)
		}
	})
	t.Run("resetPassword strong", func(t *testing.T) {
		c, _ := replayClient(t, "148")
		if err := c.ResetPassword(ctx(t), recResetUser, "Rec5-Strong-Passw0rd!"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("createUser weak", func(t *testing.T) {
		c, _ := replayClient(t, "150")
		_, err := c.CreateUser(ctx(t), "email", "rec5-created@rec.test", "abc")
		if !errors.Is(err, adminapi.ErrPasswordPolicy) || len(adminapi.PasswordPolicyViolations(err)) != 1 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("createUser strong", func(t *testing.T) {
		c, rp := replayClient(t, "151")
		u, err := c.CreateUser(ctx(t), "email", "rec5-created@rec.test", "Rec5-Created-Passw0rd!")
		if err != nil {
			t.Fatal(err)
		}
		if u.NodeID != recCreatedUser || u.ID != "22963d3e-9138-43aa-a81b-6a3c09967114" || u.StandardAttributes["email"] != "rec5-created@rec.test" {
			t.Errorf("user %+v", u)
		}
		if v := vars(t, rp); v["loginIDKey"] != "email" || v["loginIDValue"] != "rec5-created@rec.test" || v["password"] != "Rec5-Created-Passw0rd!" {
			t.Errorf("variables %v", v)
		}
	})
	t.Run("createUser without password sends null", func(t *testing.T) {
		c, rp := replayClient(t, "151")
		if _, err := c.CreateUser(ctx(t), "email", "rec5-created@rec.test", ""); err != nil {
			t.Fatal(err)
		}
		v := vars(t, rp)
		if pw, present := v["password"]; !present || pw != nil {
			t.Errorf("password variable %v (present %v), want null: \"\" makes Authgear generate one", pw, present)
		}
	})
	t.Run("createUser duplicate", func(t *testing.T) {
		c, _ := replayClient(t, "106")
		if _, err := c.CreateUser(ctx(t), "email", "x@rec.test", ""); !errors.Is(err, adminapi.ErrUserExists) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("createUser refused by hook", func(t *testing.T) {
		c, _ := replayClient(t, "167")
		if _, err := c.CreateUser(ctx(t), "email", "x@rec.test", ""); !errors.Is(err, adminapi.ErrHookDisallowed) {
			t.Fatalf("err = %v", err)
		}
	})
	for _, tc := range []struct {
		name    string
		user    string
		has     bool
		n       int
		dflt    bool
		noExpir bool
	}{
		{"143", recImportUser, false, 0, false, true},
		{"149", recResetUser, true, 1, false, true},
		{"152", recCreatedUser, true, 1, true, true},
	} {
		t.Run("authenticators "+tc.name, func(t *testing.T) {
			c, _ := replayClient(t, tc.name)
			as, err := c.Authenticators(ctx(t), tc.user)
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != tc.n {
				t.Fatalf("%d authenticators", len(as))
			}
			if tc.n > 0 && (as[0].Type != adminapi.AuthenticatorTypePassword || as[0].Kind != adminapi.AuthenticatorKindPrimary || as[0].IsDefault != tc.dflt || as[0].ExpireAfter != nil) {
				t.Errorf("authenticator %+v", as[0])
			}
			has, err := c.HasPassword(ctx(t), tc.user)
			if err != nil || has != tc.has {
				t.Errorf("HasPassword = %v, %v; want %v", has, err, tc.has)
			}
		})
	}
}

// users(...) has no recording; check the request against the real
// schema's arguments and decode an answer of the real connection shape.
func TestListUsersRequest(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		_ = json.Unmarshal(b, &got)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":{"users":{"edges":[{"cursor":"b2Zmc2V0OjA","node":{"createdAt":"2026-11-28T07:21:19.454539Z","id":"VXNlcjpkNGExMjQwNi1mY2Y4LTQ3ODgtYWFjMS00NTgzOGNiM2E4ZGU","isDisabled":false,"standardAttributes":{"email":"rec7-webhook@rec.test"}}}],"pageInfo":{"endCursor":"b2Zmc2V0OjA","hasNextPage":true}}}}`)
	}))
	t.Cleanup(srv.Close)
	c, err := adminapi.New(adminapi.Config{Endpoint: srv.URL, ProjectID: "myapp", Key: replayKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.ListUsers(ctx(t), adminapi.ListUsersOptions{First: 50, After: "b2Zmc2V0OjQ5", Newest: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Users) != 1 || p.Users[0].ID != "d4a12406-fcf8-4788-aac1-45838cb3a8de" || p.Users[0].Cursor != "b2Zmc2V0OjA" ||
		!p.Users[0].CreatedAt.Equal(time.Date(2026, 11, 28, 7, 21, 19, 454539000, time.UTC)) || !p.HasNextPage || p.EndCursor != "b2Zmc2V0OjA" {
		t.Errorf("page %+v", p)
	}
	mu.Lock()
	defer mu.Unlock()
	v, _ := got["variables"].(map[string]any)
	q, _ := got["query"].(string)
	if v["first"] != float64(50) || v["after"] != "b2Zmc2V0OjQ5" || v["sortDirection"] != "DESC" || !strings.Contains(q, "sortBy: CREATED_AT") {
		t.Errorf("request %v\n%s", v, q)
	}
}
