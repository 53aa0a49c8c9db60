package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/webhook"
)

const secret = "example-webhook-secret-0123456789"

// delivery is a signed Authgear delivery of event typ about user id, in
// the shape of the recorded case 164.
func delivery(t *testing.T, h http.Handler, eventID, typ, userID, email string, disabled bool, at time.Time) int {
	t.Helper()
	body := []byte(fmt.Sprintf(`{"id":%q,"seq":1,"type":%q,"payload":{"user":{"id":%q,"created_at":"2026-11-28T07:21:19.454539Z","updated_at":"2026-11-28T07:21:19.462448Z","is_anonymous":false,"is_verified":false,"is_disabled":%v,"is_deactivated":false,"is_anonymized":false,"can_reauthenticate":false,"standard_attributes":{"email":%q,"email_verified":false,"name":"New User","updated_at":1795850479},"custom_attributes":{},"x_web3":{},"roles":[],"groups":[]},"identities":[]},"context":{"timestamp":%d,"user_id":%q,"triggered_by":"user","app_id":"myapp"}}`,
		eventID, typ, userID, disabled, email, at.Unix(), userID))
	req := httptest.NewRequest(http.MethodPost, "/hooks/authgear", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, webhook.Sign([]byte(secret), body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

func TestMirrorExample(t *testing.T) {
	// The fake checks the admin JWTs (signed on the real clock) against
	// this clock, so it starts at the real time and moves by minutes only.
	now := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { return now }
	fake := authgeartest.New(t, authgeartest.Options{Now: clock})
	pemKey, kid := fake.AdminKeyPEM()
	keyFile := filepath.Join(t.TempDir(), "admin.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"AUTHGEAR_WEBHOOK_SECRET": secret, "AUTHGEAR_ENDPOINT": fake.URL, "AUTHGEAR_PROJECT_ID": fake.ProjectID(),
		"AUTHGEAR_ADMIN_KEY_FILE": keyFile, "AUTHGEAR_ADMIN_KEY_ID": kid, "AUTHGEAR_CLIENT_ID": "test-client",
	}
	store := newLegacyStore()
	a, err := newApp(func(k string) string { return env[k] }, store, clock)
	if err != nil {
		t.Fatal(err)
	}

	// A sign-up at Authgear arrives as user.created: a legacy record.
	const u1 = "d4a12406-fcf8-4788-aac1-45838cb3a8de"
	if code := delivery(t, a.mux, "00000000000000c1", "user.created", u1, "new@example.com", false, now); code != 200 {
		t.Fatalf("user.created: %d", code)
	}
	if rec, ok := store.get(u1); !ok || rec.Email != "new@example.com" || rec.Name != "New User" {
		t.Fatalf("legacy record %+v %v", rec, ok)
	}
	// The same delivery replayed is refused and changes nothing.
	if code := delivery(t, a.mux, "00000000000000c1", "user.created", u1, "other@example.com", false, now); code != http.StatusConflict {
		t.Errorf("same event ID, other body: %d", code)
	}
	if code := delivery(t, a.mux, "00000000000000c1", "user.created", u1, "new@example.com", false, now); code != http.StatusConflict {
		t.Errorf("exact replay: %d", code)
	}
	// A forged delivery (signed with another key) is refused.
	body := []byte(`{"id":"ff","type":"user.deleted","payload":{"user":{"id":"` + u1 + `"}},"context":{"timestamp":1795850479}}`)
	req := httptest.NewRequest(http.MethodPost, "/hooks/authgear", bytes.NewReader(body))
	req.Header.Set(webhook.SignatureHeader, webhook.Sign([]byte("not-the-secret-0123456789abcdef"), body))
	rec := httptest.NewRecorder()
	a.mux.ServeHTTP(rec, req)
	if _, ok := store.get(u1); rec.Code != http.StatusUnauthorized || !ok {
		t.Errorf("forged user.deleted: %d, record kept %v", rec.Code, ok)
	}
	// user.disabled flags the legacy record.
	if code := delivery(t, a.mux, "00000000000000c2", "user.disabled", u1, "new@example.com", true, now); code != 200 {
		t.Fatalf("user.disabled: %d", code)
	}
	if rec, _ := store.get(u1); !rec.Disabled {
		t.Error("user.disabled not mirrored")
	}

	// Two users whose user.created deliveries were lost: the
	// reconciliation pass mirrors them; one created seconds ago waits.
	lost1 := fake.AddUser(authgeartest.User{Email: "lost1@example.com", CreatedAt: now.Add(-time.Hour)})
	lost2 := fake.AddUser(authgeartest.User{Email: "lost2@example.com", CreatedAt: now.Add(-30 * time.Minute)})
	young := fake.AddUser(authgeartest.User{Email: "young@example.com", CreatedAt: now.Add(-10 * time.Second)})
	rep, err := a.reconcile(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mirrored != 2 || store.count() != 3 {
		t.Errorf("reconcile %+v, %d legacy records", rep, store.count())
	}
	for _, id := range []string{lost1, lost2} {
		if _, ok := store.get(id); !ok {
			t.Errorf("user %s not mirrored", id)
		}
	}
	if _, ok := store.get(young); ok {
		t.Error("a user created seconds ago was mirrored before its delivery could arrive")
	}
	// Later, the next pass resumes from its cursor and takes the young one.
	now = now.Add(3 * time.Minute)
	if rep, err = a.reconcile(t.Context()); err != nil || rep.Mirrored != 1 || rep.Scanned != 1 {
		t.Errorf("second pass %+v, %v", rep, err)
	}
	if store.count() != 4 {
		t.Errorf("%d legacy records, want 4", store.count())
	}
}

func TestMirrorNeedsSecret(t *testing.T) {
	if _, err := newApp(func(string) string { return "" }, newLegacyStore(), nil); err == nil {
		t.Error("no secret accepted")
	}
}
