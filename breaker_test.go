package agmigrate_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// After BreakerThreshold transient failures the Admin API is left alone
// for BreakerCoolDown; then one trial call decides.
func TestCircuitBreaker(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	// Three failures, then Authgear is healthy: any call after the third
	// would succeed, so every later 503 proves no call was made.
	w.fake.SetFault("graphql", authgeartest.Fault{Status: 503, Times: 3})
	cfg := w.config()
	cfg.Retries = -1
	cfg.BreakerThreshold = 3
	cfg.BreakerCoolDown = 30 * time.Second
	cfg.FailurePolicy = agmigrate.FailClosed
	h := w.middleware(cfg).Handler(app)
	for i := 0; i < 10; i++ {
		r := serve(h, withLegacyCookie(w.legacyToken("alice@example.com")))
		if r.status != 503 {
			t.Fatalf("request %d: %d", i, r.status)
		}
		if i >= 3 && r.header.Get("Retry-After") != "30" {
			t.Errorf("open circuit: Retry-After %q, want the cool-down", r.header.Get("Retry-After"))
		}
	}
	if n := w.fake.Calls("getUserByLoginID"); n != 0 {
		t.Errorf("%d lookups reached Authgear while the circuit was open", n)
	}
	w.clock.Advance(31 * time.Second)
	if r := serve(h, withLegacyCookie(w.legacyToken("alice@example.com"))); r.status != 200 || r.source != "exchanged" {
		t.Errorf("after the cool-down: %d %s", r.status, r.source)
	}
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// Nothing logged, in success or failure, contains a token.
func TestLogsHoldNoTokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	var buf syncBuffer
	cfg := w.config()
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := w.middleware(cfg).Handler(app)

	var secrets []string
	ok := w.legacyToken("alice@example.com")
	r := serve(h, withLegacyCookie(ok))
	secrets = append(secrets, ok, r.cookies["ag_access"].Value, r.cookies["ag_refresh"].Value)
	missing := w.legacyToken("nobody@example.com")
	serve(h, withLegacyCookie(missing))
	w.fake.SetCreateSessionEnabled(false)
	disabledFlag := w.legacyToken("alice2@example.com")
	w.fake.AddUser(authgeartest.User{Email: "alice2@example.com"})
	serve(h, withLegacyCookie(disabledFlag))
	w.fake.SetFault("graphql", authgeartest.Fault{Drop: true})
	dropped := w.legacyToken("alice3@example.com")
	serve(h, withLegacyCookie(dropped))
	secrets = append(secrets, missing, disabledFlag, dropped)

	logs := buf.String()
	if !strings.Contains(logs, "not found in Authgear") || !strings.Contains(logs, "run `agmigrate doctor`") {
		t.Errorf("expected log lines missing:\n%s", logs)
	}
	for _, s := range secrets {
		for _, part := range strings.Split(s, ".") {
			if len(part) > 16 && strings.Contains(logs, part) {
				t.Fatalf("a token appears in the logs:\n%s", logs)
			}
		}
	}
	if strings.Contains(logs, "nobody@example.com") {
		t.Error("a login ID is logged in clear; it should be hashed")
	}
}
