package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/webhook"
)

// FuzzDecodeEvent: any body decodes to an event with the promised shape,
// or to ErrMalformed; never a panic.
func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(`{"id":"00000000000000c1","seq":193,"type":"user.created","payload":{"user":{"id":"u","standard_attributes":{"email":"a@b.c"}},"identities":[{"type":"login_id","claims":{}}]},"context":{"timestamp":1795850479}}`))
	f.Add(preCreateBody(recordedTime, "x"))
	f.Add([]byte(`{"id":"1","type":"user.deleted","payload":null,"context":{"timestamp":1}}`))
	f.Add([]byte(`{"id":"1","type":"identity.email.updated","payload":{"user":{"id":"u"},"new_identity":{}},"context":{"timestamp":1,"user_id":null}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := webhook.DecodeEvent(body)
		if err != nil {
			if !errors.Is(err, webhook.ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		if ev.ID == "" || ev.Type == "" || ev.Context.Timestamp.Unix() <= 0 {
			t.Fatalf("accepted an event without id, type or timestamp: %+v", ev)
		}
		if ev.Type == webhook.UserCreated && (ev.User == nil || ev.User.ID == "") {
			t.Fatal("user.created without a user")
		}
		_ = ev.User.Email()
		for _, id := range ev.Identities {
			_, _, _ = id.LoginID()
		}
	})
}

// FuzzHandler: whatever arrives, signed with the right key or not, the
// application is called only for a correctly signed, fresh, well-formed
// non-blocking event, at most once per ID, and every answer is JSON.
func FuzzHandler(f *testing.F) {
	secret := []byte("fuzz-secret-0123456789abcdef0123")
	now := time.Unix(1795850479, 0)
	f.Add([]byte(`{"id":"1","type":"user.created","payload":{"user":{"id":"u"}},"context":{"timestamp":1795850479}}`), true, "")
	f.Add([]byte(`{"id":"2","type":"user.pre_create","payload":{"user":{"id":"u"}},"context":{"timestamp":1795850479}}`), true, "")
	f.Add([]byte(`{"id":"3","type":"user.created","payload":{"user":{"id":"u"}},"context":{"timestamp":1}}`), true, "")
	f.Add([]byte(`{}`), false, "00")
	f.Fuzz(func(t *testing.T, body []byte, sign bool, sig string) {
		calls := map[string]int{}
		h, err := webhook.New(webhook.Config{
			Secret: secret,
			Now:    func() time.Time { return now },
			OnEvent: func(_ context.Context, ev *webhook.Event) error {
				calls[ev.ID]++
				return nil
			},
			MaxBodyBytes: 4096,
			Logger:       slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		if sign {
			sig = webhook.Sign(secret, body)
		}
		for range 2 {
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			if sig != "" {
				req.Header.Set(webhook.SignatureHeader, sig)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("answer is not JSON: %q", rec.Body.String())
			}
		}
		total := 0
		for _, n := range calls {
			if n > 1 {
				t.Fatal("the app was called twice for one event ID")
			}
			total += n
		}
		if total == 0 {
			return
		}
		if webhook.VerifySignature(secret, body, sig) != nil {
			t.Fatal("the app was called for a body that does not verify")
		}
		ev, err := webhook.DecodeEvent(body)
		if err != nil || ev.Type.Blocking() {
			t.Fatalf("the app was called for %v / %v", ev, err)
		}
		if d := now.Sub(ev.Context.Timestamp); d > 5*time.Minute || d < -time.Minute {
			t.Fatal("the app was called for a stale event")
		}
	})
}
