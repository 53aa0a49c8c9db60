package authgeartest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
)

type delivery struct {
	path, sig string
	body      []byte
}

// hookListener records deliveries and answers blocking ones with answer.
type hookListener struct {
	mu     sync.Mutex
	got    []delivery
	answer string
	srv    *httptest.Server
}

func newHookListener(t *testing.T) *hookListener {
	h := &hookListener{answer: `{"is_allowed":true}`}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got = append(h.got, delivery{r.URL.Path, r.Header.Get("X-Authgear-Body-Signature"), b})
		ans := h.answer
		h.mu.Unlock()
		if r.URL.Path == "/blocking" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, ans)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookListener) deliveries() []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]delivery(nil), h.got...)
}

func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	secret := []byte("a webhook secret")
	h := newHookListener(t)
	s := authgeartest.New(t, authgeartest.Options{LoginIDKeys: []string{"email"}, Webhooks: authgeartest.Webhooks{
		Secret: secret, NonBlockingURL: h.srv.URL + "/nonblocking", BlockingURL: h.srv.URL + "/blocking"}})
	const create = `mutation($v: String!) { createUser(input: {definition: {loginID: {key: "email", value: $v}}}) { user { id standardAttributes } } }`

	a := gql(t, s, create, map[string]any{"v": "Carol@Example.com"})
	if a.json(t)["errors"] != nil {
		t.Fatalf("createUser: %s", a.body)
	}
	s.WaitWebhooks()
	got := h.deliveries()
	if len(got) != 2 || got[0].path != "/blocking" || got[1].path != "/nonblocking" {
		t.Fatalf("deliveries: %+v", got)
	}
	for _, d := range got {
		m := hmac.New(sha256.New, secret)
		m.Write(d.body)
		if d.sig != hex.EncodeToString(m.Sum(nil)) {
			t.Errorf("%s: signature %q does not match the body", d.path, d.sig)
		}
		var ev struct {
			Type    string `json:"type"`
			Context struct {
				TriggeredBy string `json:"triggered_by"`
			} `json:"context"`
			Payload struct {
				Identities []struct {
					Claims map[string]any `json:"claims"`
				} `json:"identities"`
			} `json:"payload"`
		}
		if err := json.Unmarshal(d.body, &ev); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"/blocking": "user.pre_create", "/nonblocking": "user.created"}[d.path]
		if ev.Type != want || ev.Context.TriggeredBy != "admin_api" || len(ev.Payload.Identities) != 1 ||
			ev.Payload.Identities[0].Claims["email"] != "carol@example.com" ||
			ev.Payload.Identities[0].Claims["https://authgear.com/claims/login_id/original_value"] != "Carol@Example.com" {
			t.Errorf("%s: %s", d.path, d.body)
		}
	}

	// A refusal: no user, and no user.created.
	h.mu.Lock()
	h.answer = `{"is_allowed":false,"title":"no","reason":"legacy conflict"}`
	h.mu.Unlock()
	_, reason, _ := gqlErrorReason(t, gql(t, s, create, map[string]any{"v": "dave@example.com"}))
	s.WaitWebhooks()
	if reason != "HookDisallowed" || len(h.deliveries()) != 3 || s.CheckPassword("dave@example.com", "x") {
		t.Errorf("refused createUser: %s, %d deliveries", reason, len(h.deliveries()))
	}
	if a := gql(t, s, `query { getUserByLoginID(loginIDKey: "email", loginIDValue: "dave@example.com") { id } }`, nil); a.json(t)["data"].(map[string]any)["getUserByLoginID"] != nil {
		t.Error("a refused user was kept")
	}

	// An answer outside the contract.
	h.mu.Lock()
	h.answer = `{"allowed":true}`
	h.mu.Unlock()
	if _, reason, _ := gqlErrorReason(t, gql(t, s, create, map[string]any{"v": "erin@example.com"})); reason != "HookInvalidResponse" {
		t.Errorf("bad hook answer: %s", reason)
	}

	// The User Import API fires no hook.
	before := len(h.deliveries())
	importAndWait(t, s, `{"identifier":"email","records":[{"email":"frank@example.com"}]}`)
	s.WaitWebhooks()
	if n := len(h.deliveries()); n != before {
		t.Errorf("import fired %d deliveries", n-before)
	}
}
