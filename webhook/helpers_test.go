package webhook_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/internal/reference"
	"github.com/agmigrate/agmigrate/webhook"
)

// recorded is the real delivery of case 164, with its key and signature.
type recorded struct {
	K         string `json:"secret_jwk_k"`
	OctetsHex string `json:"secret_octets_hex"`
	Body      string `json:"body"`
	Signature string `json:"signature"`
	secret    []byte
}

func loadRecorded(t testing.TB) recorded {
	t.Helper()
	raw, err := os.ReadFile(reference.Require(t, "authgear-webhook-signature.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r recorded
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	if r.secret, err = hex.DecodeString(r.OctetsHex); err != nil {
		t.Fatal(err)
	}
	return r
}

// recordedTime is context.timestamp of the recorded delivery.
var recordedTime = time.Unix(1795850479, 0)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// sink records the events the application got.
type sink struct {
	mu     sync.Mutex
	events []*webhook.Event
	err    error
}

func (s *sink) handle(_ context.Context, ev *webhook.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.events = append(s.events, ev)
	return nil
}

func (s *sink) got() []*webhook.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*webhook.Event(nil), s.events...)
}

func (s *sink) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err = err
}

// post sends body with the given signature headers to h and returns the
// status and the decoded JSON answer.
func post(t testing.TB, h http.Handler, body []byte, sigs ...string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/hooks/authgear", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for _, s := range sigs {
		req.Header.Add(webhook.SignatureHeader, s)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}
