package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate/webhook"
)

// The endpoint Authgear's webhooks point at. OnEvent creates the legacy
// record; the Handler has checked the signature, the event's age and that
// the event was not delivered before.
func ExampleNew() {
	secret := []byte("the-portal-shows-this-secret-0001") // from the portal
	h, err := webhook.New(webhook.Config{
		Secret: secret,
		OnEvent: func(ctx context.Context, ev *webhook.Event) error {
			if ev.Type == webhook.UserCreated {
				fmt.Println("create legacy record for", ev.User.ID, ev.User.Email())
			}
			return nil
		},
		Now: func() time.Time { return time.Unix(1795850480, 0) }, // the default is time.Now
	})
	if err != nil {
		panic(err)
	}
	body := `{"id":"00000000000000c1","seq":193,"type":"user.created","payload":{"user":{"id":"d4a12406-fcf8-4788-aac1-45838cb3a8de","standard_attributes":{"email":"new@example.com"}}},"context":{"timestamp":1795850479}}`
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/hooks/authgear", strings.NewReader(body))
		req.Header.Set(webhook.SignatureHeader, webhook.Sign(secret, []byte(body)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// create legacy record for d4a12406-fcf8-4788-aac1-45838cb3a8de new@example.com
	// 200 {"is_allowed":true}
	// 409 {"error":"webhook: event already delivered"}
}

// A reconciliation pass, run on a schedule: users whose user.created
// delivery was lost get their legacy record. Keep the report's Cursor for
// the next pass.
func ExampleReconcile() {
	var users webhook.UserLister // an *adminapi.Client
	var cursor string            // loaded from the app's database
	if users == nil {
		return
	}
	rep, err := webhook.Reconcile(context.Background(), webhook.ReconcileConfig{
		Users:  users,
		After:  cursor,
		Exists: func(ctx context.Context, userID string) (bool, error) { return false, nil },
		Mirror: func(ctx context.Context, ev *webhook.Event) error { return nil },
	})
	if err != nil {
		fmt.Println(err)
	}
	cursor = rep.Cursor // save it
}
