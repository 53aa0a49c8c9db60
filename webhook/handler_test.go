package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/webhook"
)

type world struct {
	rec   recorded
	clock *clock
	sink  *sink
	logs  *bytes.Buffer
	h     *webhook.Handler
}

func newWorld(t *testing.T, mod func(*webhook.Config)) *world {
	t.Helper()
	w := &world{rec: loadRecorded(t), clock: &clock{t: recordedTime.Add(2 * time.Second)}, sink: &sink{}, logs: &bytes.Buffer{}}
	cfg := webhook.Config{
		Secret:  w.rec.secret,
		OnEvent: w.sink.handle,
		Now:     w.clock.Now,
		MaxAge:  5 * time.Minute,
		Logger:  slog.New(slog.NewTextHandler(&lockedWriter{w: w.logs}, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	h, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.h = h
	return w
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestRecordedDeliveryReachesTheApp(t *testing.T) {
	w := newWorld(t, nil)
	status, out := post(t, w.h, []byte(w.rec.Body), w.rec.Signature)
	if status != http.StatusOK || out["is_allowed"] != true {
		t.Fatalf("status %d, answer %v", status, out)
	}
	evs := w.sink.got()
	if len(evs) != 1 {
		t.Fatalf("app called %d times, want 1", len(evs))
	}
	ev := evs[0]
	if ev.ID != "00000000000000c1" || ev.Seq != 193 || ev.Type != webhook.UserCreated {
		t.Errorf("event %s %d %s", ev.ID, ev.Seq, ev.Type)
	}
	if !ev.Context.Timestamp.Equal(recordedTime) || ev.Context.TriggeredBy != "admin_api" || ev.Context.AppID != "myapp" {
		t.Errorf("context %+v", ev.Context)
	}
	u := ev.User
	if u == nil || u.ID != "d4a12406-fcf8-4788-aac1-45838cb3a8de" || u.Email() != "rec7-webhook@rec.test" || u.IsDisabled {
		t.Fatalf("user %+v", u)
	}
	if !u.CreatedAt.Equal(time.Date(2026, 11, 28, 7, 21, 19, 454539000, time.UTC)) {
		t.Errorf("created_at %v", u.CreatedAt)
	}
	if len(ev.Identities) != 1 {
		t.Fatalf("%d identities", len(ev.Identities))
	}
	if k, v, ok := ev.Identities[0].LoginID(); !ok || k != "email" || v != "rec7-webhook@rec.test" {
		t.Errorf("login ID %q %q %v", k, v, ok)
	}
}

func TestDeliveriesRefused(t *testing.T) {
	r := loadRecorded(t)
	body := []byte(r.Body)
	flipped := append([]byte(nil), body...)
	flipped[len(flipped)/2] ^= 0x20
	wrongKey := []byte("an-entirely-different-secret-000")

	tests := []struct {
		name   string
		now    time.Time
		body   []byte
		sigs   []string
		status int
		want   error
		logHas string
	}{
		{"unsigned", recordedTime, body, nil, 401, webhook.ErrUnsigned, "not signed"},
		{"flipped byte", recordedTime, flipped, []string{r.Signature}, 401, webhook.ErrBadSignature, "does not match"},
		{"wrong key", recordedTime, body, []string{webhook.Sign(wrongKey, body)}, 401, webhook.ErrBadSignature, "does not match"},
		{"two signatures", recordedTime, body, []string{r.Signature, r.Signature}, 401, webhook.ErrBadSignature, "more than one"},
		{"stale", recordedTime.Add(5*time.Minute + time.Second), body, []string{r.Signature}, 403, webhook.ErrStale, "5m1s old"},
		{"from the future", recordedTime.Add(-2 * time.Minute), body, []string{r.Signature}, 403, webhook.ErrStale, "in the future"},
		{"too large", recordedTime, append(bytes.Repeat([]byte(" "), 2<<20), body...), []string{r.Signature}, 413, webhook.ErrTooLarge, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, nil)
			w.clock.Set(tt.now)
			status, out := post(t, w.h, tt.body, tt.sigs...)
			if status != tt.status || out["error"] != tt.want.Error() {
				t.Errorf("status %d %v, want %d %q", status, out, tt.status, tt.want)
			}
			if n := len(w.sink.got()); n != 0 {
				t.Errorf("app called %d times", n)
			}
			logs := w.logs.String()
			if !strings.Contains(logs, tt.logHas) {
				t.Errorf("log lacks %q:\n%s", tt.logHas, logs)
			}
			for _, secret := range []string{"rec7-webhook@rec.test", r.OctetsHex, string(r.secret), r.Signature} {
				if strings.Contains(logs, secret) {
					t.Errorf("log holds %q", secret)
				}
			}
		})
	}
}

func TestReplayRefusedAppCalledOnce(t *testing.T) {
	w := newWorld(t, nil)
	if status, _ := post(t, w.h, []byte(w.rec.Body), w.rec.Signature); status != 200 {
		t.Fatalf("first delivery: %d", status)
	}
	// The same bytes again, a minute later, still inside the window.
	w.clock.Set(recordedTime.Add(time.Minute))
	status, out := post(t, w.h, []byte(w.rec.Body), w.rec.Signature)
	if status != http.StatusConflict || out["error"] != webhook.ErrReplayed.Error() {
		t.Errorf("replay: %d %v", status, out)
	}
	// Concurrent replays: exactly one handling in all.
	w2 := newWorld(t, nil)
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _ := post(t, w2.h, []byte(w2.rec.Body), w2.rec.Signature)
			codes <- s
		}()
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		if c == 200 {
			ok++
		} else if c != http.StatusConflict {
			t.Errorf("status %d", c)
		}
	}
	if ok != 1 || len(w.sink.got()) != 1 || len(w2.sink.got()) != 1 {
		t.Errorf("%d accepted, app calls %d and %d; want 1 each", ok, len(w.sink.got()), len(w2.sink.got()))
	}
}

func TestAppFailureForgetsTheEvent(t *testing.T) {
	w := newWorld(t, nil)
	w.sink.fail(errors.New("legacy database is down"))
	status, out := post(t, w.h, []byte(w.rec.Body), w.rec.Signature)
	if status != 500 || out["error"] != webhook.ErrHandler.Error() {
		t.Fatalf("status %d %v", status, out)
	}
	if strings.Contains(fmt.Sprint(out), "legacy database") {
		t.Error("the app's error reached the caller")
	}
	if !strings.Contains(w.logs.String(), "legacy database is down") {
		t.Error("the app's error is not logged")
	}
	// A redelivery of the same event (by hand) is handled, not refused.
	w.sink.fail(nil)
	if status, _ := post(t, w.h, []byte(w.rec.Body), w.rec.Signature); status != 200 || len(w.sink.got()) != 1 {
		t.Errorf("redelivery after failure: %d, %d calls", status, len(w.sink.got()))
	}
}

type brokenSeen struct{}

func (brokenSeen) Claim(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("redis: connection refused")
}
func (brokenSeen) Release(context.Context, string) error { return nil }

func TestSeenStoreDownFailsClosed(t *testing.T) {
	w := newWorld(t, func(c *webhook.Config) { c.Seen = brokenSeen{} })
	status, out := post(t, w.h, []byte(w.rec.Body), w.rec.Signature)
	if status != 503 || out["error"] != webhook.ErrSeenStore.Error() || len(w.sink.got()) != 0 {
		t.Errorf("status %d %v, %d calls", status, out, len(w.sink.got()))
	}
}

// preCreateBody is a user.pre_create delivery shaped like case 165.
func preCreateBody(ts time.Time, id string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"seq":195,"type":"user.pre_create","payload":{"user":{"id":"72eb9b6c-6bc6-4d4e-b462-65ee4994df93","created_at":"2026-11-28T07:21:23.796169Z","updated_at":"2026-11-28T07:21:23.802424Z","is_anonymous":false,"is_verified":false,"is_disabled":false,"is_deactivated":false,"is_anonymized":false,"can_reauthenticate":false,"standard_attributes":{"email":"rec7-blocking-allow@rec.test","email_verified":false,"updated_at":1795850483},"custom_attributes":{},"x_web3":{},"roles":[],"groups":[]},"identities":[]},"context":{"timestamp":%d,"user_id":"72eb9b6c-6bc6-4d4e-b462-65ee4994df93","triggered_by":"admin_api","app_id":"myapp"}}`, id, ts.Unix()))
}

func TestBlockingEventAnswered(t *testing.T) {
	t.Run("allowed by default", func(t *testing.T) {
		w := newWorld(t, nil)
		body := preCreateBody(recordedTime, "00000000000000c3")
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set(webhook.SignatureHeader, webhook.Sign(w.rec.secret, body))
		rec := httptest.NewRecorder()
		w.h.ServeHTTP(rec, req)
		// Exactly what the recorded listener answered (case 165).
		if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"is_allowed":true}` || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("answer %d %q %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Type"))
		}
		if len(w.sink.got()) != 0 {
			t.Error("OnEvent was called for a blocking event (the user does not exist yet)")
		}
	})
	t.Run("refused by Allow", func(t *testing.T) {
		var seen *webhook.Event
		w := newWorld(t, func(c *webhook.Config) {
			c.Allow = func(_ context.Context, ev *webhook.Event) (webhook.Decision, error) {
				seen = ev
				return webhook.Decision{Allowed: false, Title: "Rejected by legacy", Reason: "legacy record conflict"}, nil
			}
		})
		body := preCreateBody(recordedTime, "00000000000000c4")
		status, out := post(t, w.h, body, webhook.Sign(w.rec.secret, body))
		if status != 200 || out["is_allowed"] != false || out["title"] != "Rejected by legacy" || out["reason"] != "legacy record conflict" {
			t.Errorf("answer %d %v", status, out)
		}
		if seen == nil || seen.Type != webhook.UserPreCreate || seen.User.Email() != "rec7-blocking-allow@rec.test" {
			t.Errorf("Allow saw %+v", seen)
		}
	})
}

func TestNewRefusesBadConfig(t *testing.T) {
	ok := func(context.Context, *webhook.Event) error { return nil }
	for _, cfg := range []webhook.Config{
		{OnEvent: ok},
		{Secret: []byte("short"), OnEvent: ok},
		{Secret: bytes.Repeat([]byte("k"), 32)},
		{Secret: bytes.Repeat([]byte("k"), 32), OnEvent: ok, MaxAge: -time.Second},
	} {
		if _, err := webhook.New(cfg); !errors.Is(err, webhook.ErrInvalidConfig) {
			t.Errorf("New(%+v) = %v", cfg.MaxAge, err)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	w := newWorld(t, nil)
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != 405 || rec.Header().Get("Allow") != "POST" {
		t.Errorf("GET: %d", rec.Code)
	}
}

func TestMalformedSignedBody(t *testing.T) {
	w := newWorld(t, nil)
	for _, body := range []string{
		`not json`,
		`{"id":"1","type":"user.created","context":{"timestamp":1795850479}}`,
		`{"id":"","type":"user.created","payload":{"user":{"id":"u"}},"context":{"timestamp":1795850479}}`,
		`{"id":"2","type":"user.created","payload":{"user":{"id":"u"}},"context":{}}`,
		`{"id":"3","type":"user.created","payload":{"user":{"id":"u"}},"context":{"timestamp":1795850479}} {}`,
	} {
		status, out := post(t, w.h, []byte(body), webhook.Sign(w.rec.secret, []byte(body)))
		if status != 400 || out["error"] != webhook.ErrMalformed.Error() {
			t.Errorf("%s: %d %v", body, status, out)
		}
	}
	if len(w.sink.got()) != 0 {
		t.Error("app called")
	}
	_ = json.Valid
}
