package authgeartest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
)

// The users the second instance held, with the uuids the recordings show,
// so recorded node IDs name the same users in the fake.
var secondRoundUsers = []authgeartest.User{
	{ID: "8b315045-8985-4ff8-bf27-71b46f4c44d1", Email: "rec1@rec.test"},
	{ID: "2db4b831-4dff-43e7-852c-4a89824cebf5", Email: "ff@rec.test"},
	{ID: "ddff01cd-1da2-4bb1-88fc-15f28f4d7d2a", Email: "rec2-disable@rec.test"},
	{ID: "9883836d-d4e0-41e3-a4c9-9e6ade0aa436", Email: "rec3-revoke@rec.test"},
	{ID: "9041755e-6581-44f3-afc5-9be5055245f7", Email: "rec4-existing@rec.test"},
	{ID: "8f89e95c-5746-4fe8-acda-d2313d593be0", Email: "rec5-imported@rec.test"},
	{ID: "b76d92d6-1a99-4610-8d3d-06b5a88c6ca0", Email: "rec6-admin@rec.test"},
	{ID: "6a0e8d52-2f4c-4d51-9a8e-3f7d1c2b4e60", Email: "rec6-ratelimit@rec.test"},
	{ID: "a26f6d51-4104-461b-8d94-e12cfc1c308a", Email: "rec8-ua@rec.test"},
}

// hookRecorder is the webhook listener of cases 163-170.
type hookRecorder struct {
	mu     sync.Mutex
	got    []*http.Request
	bodies [][]byte
	answer string
	srv    *httptest.Server
}

func (h *hookRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.got = append(h.got, r)
	h.bodies = append(h.bodies, b)
	ans := h.answer
	h.mu.Unlock()
	if strings.HasSuffix(r.URL.Path, "/blocking") {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, ans)
	}
}

// delivery returns the latest delivery to path.
func (h *hookRecorder) delivery(path string) (*http.Request, []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.got) - 1; i >= 0; i-- {
		if h.got[i].URL.Path == path {
			return h.got[i], h.bodies[i]
		}
	}
	return nil, nil
}

type secondRound struct {
	*replayer
	clock   *clock
	hooks   *hookRecorder
	secret  []byte
	cases   map[string]*recorded
	pending map[string][]string // answers already given while setting up another case
}

func (sr *secondRound) close() {
	sr.fake.WaitWebhooks()
	sr.fake.Close()
	sr.hooks.srv.Close()
}

// newSecondRound is the re-initialised instance of cases 99-181: the same
// project, no alice or bob, @rec.test users created for each case.
func newSecondRound(t *testing.T) *secondRound {
	clk := &clock{now: time.Now()}
	fake := authgeartest.NewServer(authgeartest.Options{
		ProjectID:           "myapp",
		Clients:             []authgeartest.Client{{ID: "test-client", RefreshTokenLifetime: 86400 * time.Second}},
		LoginIDKeys:         []string{"email"},
		EnableCreateSession: true,
		AdminListener:       true,
		Now:                 clk.Now,
	})
	for _, u := range secondRoundUsers {
		fake.AddUser(u)
	}
	sr := &secondRound{replayer: newReplayer(t, fake), clock: clk, secret: []byte("conformance webhook secret"),
		cases: map[string]*recorded{}, pending: map[string][]string{}}
	sr.strict = true
	sr.hooks = &hookRecorder{}
	sr.hooks.srv = httptest.NewServer(sr.hooks)
	for _, c := range loadCases(t) {
		c := c
		sr.cases[c.num] = &c.rec
	}
	sr.before = sr.prepare
	return sr
}

// stateToken is the state token an earlier authentication-flow case got.
func (rp *replayer) stateToken(num string) string {
	m, _ := rp.answers[num].(map[string]any)
	res, _ := m["result"].(map[string]any)
	tok, _ := res["state_token"].(string)
	if tok == "" {
		rp.t.Fatalf("case %s gave no state_token to reuse", num)
	}
	return tok
}

// flow starts a login flow, identified with loginID when it is not "".
func (sr *secondRound) flow(loginID string) string {
	t := sr.t
	a := do(t, "POST", sr.fake.URL+"/api/v1/authentication_flows", map[string]string{"Content-Type": "application/json"}, `{"type":"login","name":"default"}`)
	tok, _ := a.json(t)["result"].(map[string]any)["state_token"].(string)
	if loginID == "" {
		return tok
	}
	b, _ := json.Marshal(map[string]any{"state_token": tok, "input": map[string]any{"identification": "email", "login_id": loginID}})
	a = do(t, "POST", sr.fake.URL+"/api/v1/authentication_flows/states/input", map[string]string{"Content-Type": "application/json"}, string(b))
	tok, _ = a.json(t)["result"].(map[string]any)["state_token"].(string)
	if tok == "" {
		t.Fatalf("identify %s: %s", loginID, a.body)
	}
	return tok
}

func (sr *secondRound) session(email string) authgeartest.Tokens {
	for _, u := range secondRoundUsers {
		if u.Email == email {
			tok, err := sr.fake.CreateSession(u.ID, "test-client", nil)
			if err != nil {
				sr.t.Fatal(err)
			}
			return tok
		}
	}
	sr.t.Fatalf("no user %s", email)
	return authgeartest.Tokens{}
}

func (sr *secondRound) setHookAnswer(ans string) {
	sr.hooks.mu.Lock()
	sr.hooks.answer = ans
	sr.hooks.mu.Unlock()
}

// prepare sets up the state a case needs that no earlier recorded case
// created, or answers a case already played while setting up another.
func (sr *secondRound) prepare(num string, rec *recorded) ([]string, bool) {
	t := sr.t
	if diffs, ok := sr.pending[num]; ok {
		return diffs, true
	}
	switch num {
	case "137":
		sr.subst["<refresh token from a createSession made after revokeAllSessions>"] = sr.session("rec3-revoke@rec.test").RefreshToken
	case "140":
		// The job of 140 was posted without being recorded.
		res := importAndWait(t, sr.fake, `{"identifier":"email","records":[{"email":"rec4-nopw@rec.test","name":"No Password"}]}`)
		recorded := strings.TrimPrefix(rec.Request.Path, "/_api/admin/users/import/")
		sr.subst[recorded] = res["id"].(string)
	case "156":
		sr.subst["<state_token of a fresh flow after its identify step>"] = sr.flow("rec5-imported@rec.test")
	case "157":
		sr.subst["<state_token of a fresh flow after identify with rec5-created@rec.test>"] = sr.flow("rec5-created@rec.test")
	case "158":
		sr.subst["<state_token>"] = sr.flow("")
	case "161":
		// 59 refreshes in a fresh minute, so the recorded one is the 60th.
		sr.clock.Advance(2 * time.Minute)
		tok := sr.session("rec6-ratelimit@rec.test").RefreshToken
		sr.subst["<refresh token from a createSession for rec6-ratelimit@rec.test>"] = tok
		for i := 1; i < 60; i++ {
			if a := refresh(t, sr.fake, tok, nil, nil); a.status != 200 {
				t.Fatalf("refresh #%d: %d %s", i, a.status, a.body)
			}
		}
	case "163":
		sr.clock.Advance(2 * time.Minute) // the rate-limit burst is over
		sr.fake.SetWebhooks(authgeartest.Webhooks{Secret: sr.secret, NonBlockingURL: sr.hooks.srv.URL + "/hook/nonblocking"})
	case "164":
		sr.fake.WaitWebhooks()
		return sr.compareDelivery(rec), true
	case "165":
		// The delivery of 165 is what createUser in 166 sends.
		sr.fake.SetWebhooks(authgeartest.Webhooks{Secret: sr.secret,
			NonBlockingURL: sr.hooks.srv.URL + "/hook/nonblocking", BlockingURL: sr.hooks.srv.URL + "/hook/blocking"})
		sr.setHookAnswer(`{"is_allowed":true}`)
		sr.pending["166"] = sr.replay("166", sr.cases["166"])
		return sr.compareDelivery(rec), true
	case "167":
		sr.setHookAnswer(`{"is_allowed":false,"title":"Rejected by legacy","reason":"legacy record conflict"}`)
	case "168":
		sr.setHookAnswer(`{"is_allowed":true,"mutations":{"user":{"standard_attributes":{"name":"Set By Hook"}}}}`)
	case "170":
		sr.setHookAnswer(`{"allowed":true}`)
	case "171":
		sr.fake.WaitWebhooks()
		sr.fake.SetWebhooks(authgeartest.Webhooks{})
	}
	return nil, false
}

// compareDelivery compares the webhook request the fake sent with the one
// Authgear sent.
func (sr *secondRound) compareDelivery(rec *recorded) []string {
	r, body := sr.hooks.delivery(rec.Request.Path)
	if r == nil {
		return []string{"no delivery to " + rec.Request.Path}
	}
	var diffs []string
	if r.Method != rec.Request.Method {
		diffs = append(diffs, fmt.Sprintf("method %s, want %s", r.Method, rec.Request.Method))
	}
	if got, want := r.Header.Get("Content-Type"), rec.Request.Headers["Content-Type"]; got != want {
		diffs = append(diffs, fmt.Sprintf("Content-Type %q, want %q", got, want))
	}
	m := hmac.New(sha256.New, sr.secret)
	m.Write(body)
	if got := r.Header.Get("X-Authgear-Body-Signature"); got != hex.EncodeToString(m.Sum(nil)) {
		diffs = append(diffs, fmt.Sprintf("X-Authgear-Body-Signature %q is not the hex HMAC-SHA256 of the body", got))
	}
	var want, got any
	_ = json.Unmarshal(rec.Request.Body, &want)
	if err := json.Unmarshal(body, &got); err != nil {
		return append(diffs, "body is not JSON")
	}
	return append(diffs, sr.compare("body", want, got)...)
}
