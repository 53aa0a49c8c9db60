package agmigrate_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

func TestLoginIDMatchPolicy(t *testing.T) {
	t.Parallel()
	def := agmigrate.LoginIDMatch{}
	cs := agmigrate.LoginIDMatch{EmailCaseSensitive: true, UsernameCaseSensitive: true}
	for _, tc := range []struct {
		key, verified, held string
		def, cs             bool
	}{
		{"email", "rec1@rec.test", "rec1@rec.test", true, true},
		{"email", "REC1@rec.test", "rec1@rec.test", true, false},       // case 099
		{"email", "rec1@REC.TEST", "rec1@rec.test", true, true},        // case 100: the domain is never case-sensitive
		{"email", "\uff52ec1@rec.test", "rec1@rec.test", false, false}, // case 101: NFKC in the local part
		{"email", "\ufb00@rec.test", "ff@rec.test", false, false},      // case 103
		{"email", "Stra\u00dfe@rec.test", "strasse@rec.test", false, false},
		{"email", "\u212Aate@rec.test", "kate@rec.test", false, false},
		{"email", "\u0130stanbul@rec.test", "i\u0307stanbul@rec.test", false, false},
		{"email", "rec1@B\u00dcCHER.example", "rec1@b\u00fccher.example", false, false}, // only ASCII folds in domains too
		{"email", "a@b@rec.test", "a@b@rec.test", true, true},                           // split at the last @, as Authgear does
		{"email", "rec1@rec.test", "rec1@rec.test ", false, false},
		{"email", "rec1", "rec1", false, false},
		{"email", "", "", false, false},
		{"username", "Alice", "alice", true, false},
		{"username", "alice", "alice", true, true},
		{"username", "\uff41lice", "alice", false, false},
		{"username", "\u212Aelvin", "kelvin", false, false},
		{"phone", "+14155550100", "+14155550100", true, true},
		{"phone", "+14155550100", "+14155550101", false, false},
		{"phone", "+1 415 555 0100", "+14155550100", false, false},
		{"custom", "x", "x", false, false},
	} {
		if got := def.Match(tc.key, tc.verified, tc.held); got != tc.def {
			t.Errorf("default: %s %q vs %q = %v, want %v", tc.key, tc.verified, tc.held, got, tc.def)
		}
		if got := cs.Match(tc.key, tc.verified, tc.held); got != tc.cs {
			t.Errorf("case-sensitive: %s %q vs %q = %v, want %v", tc.key, tc.verified, tc.held, got, tc.cs)
		}
	}
	custom := agmigrate.LoginIDMatch{Equal: func(key, v, h string) bool { return key == "email" && strings.EqualFold(v, h) }}
	if !custom.Match("email", "A@x.com", "a@x.com") || custom.Match("username", "a", "a") {
		t.Error("Equal does not replace the comparison")
	}
}

// A mismatch: a typed error, its own outcome, an error-level log line
// without the login ID, and remembered like a missing user (one lookup).
func TestLoginIDMismatchReported(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	kate := w.fake.AddUser(authgeartest.User{Email: "kate@rec.test"})
	var logs bytes.Buffer
	cfg := w.config()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	m := w.middleware(cfg)
	const folded = "\uff4bate@rec.test" // fullwidth k: Authgear's NFKC finds Kate
	id := &verifier.LegacyIdentity{LoginID: folded, LoginIDKey: "email", Subject: "s"}
	for i := 0; i < 3; i++ {
		_, err := m.Exchanger().Exchange(context.Background(), "legacy-token", id, nil)
		if !errors.Is(err, agmigrate.ErrLoginIDMismatch) {
			t.Fatalf("call %d: %v, want ErrLoginIDMismatch", i, err)
		}
	}
	if n := w.fake.Calls("getUserByLoginID"); n != 1 {
		t.Errorf("%d lookups: the mismatch should be remembered like a missing user", n)
	}
	if w.fake.SessionCount(kate) != 0 {
		t.Fatal("Kate got a session")
	}
	out := logs.String()
	if !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "login_id_hash=") || strings.Contains(out, folded) || strings.Contains(out, "kate@") {
		t.Errorf("log: %s", out)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("want one log line for one mismatch, got %q", out)
	}

	// Through the middleware: the outcome, and the request served as legacy.
	h := m.Handler(app)
	s := serve(h, withLegacyCookie(w.verifiedToken(map[string]any{"email": "KATE@rec.test"})))
	if s.source != "exchanged" || s.user != kate {
		t.Fatalf("Kate's own token (upper case): %+v", s)
	}
	cfg.LoginIDMatch = agmigrate.LoginIDMatch{EmailCaseSensitive: true}
	h = w.middleware(cfg).Handler(app)
	s = serve(h, withLegacyCookie(w.verifiedToken(map[string]any{"email": "KATE@rec.test"})))
	if s.source != "legacy" || s.user != "" || w.events.count(agmigrate.OutcomeLoginIDMismatch) != 1 {
		t.Errorf("case-sensitive policy, KATE: %+v, mismatch outcomes %d", s, w.events.count(agmigrate.OutcomeLoginIDMismatch))
	}
	if agmigrate.OutcomeLoginIDMismatch.String() != "login_id_mismatch" {
		t.Errorf("outcome name %q", agmigrate.OutcomeLoginIDMismatch)
	}
}

// The migration endpoint answers a mismatch found in Authgear as a missing
// user (404), so it does not confirm that a look-alike account exists.
func TestMigrationEndpointMismatchLooksMissing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	kate := w.fake.AddUser(authgeartest.User{Email: "kate@rec.test"})
	cfg := w.config()
	cfg.LoginIDMatch = agmigrate.LoginIDMatch{EmailCaseSensitive: true}
	ep := w.middleware(cfg).MigrationEndpoint()
	r := httptest.NewRequest("POST", "/migrate", nil)
	r.Header.Set("Authorization", "Bearer "+w.verifiedToken(map[string]any{"email": "Kate@rec.test"}))
	s := serve(ep, r)
	if s.status != 404 || !strings.Contains(s.body, "user_not_migrated") || w.fake.SessionCount(kate) != 0 {
		t.Errorf("%d %s, %d sessions", s.status, s.body, w.fake.SessionCount(kate))
	}
	if w.events.count(agmigrate.OutcomeLoginIDMismatch) != 1 {
		t.Errorf("mismatch outcomes %d", w.events.count(agmigrate.OutcomeLoginIDMismatch))
	}
}

// Shadow mode reports a mismatch as what would have happened.
func TestShadowReportsMismatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "kate@rec.test"})
	cfg := w.config()
	cfg.Shadow = true
	cfg.LoginIDMatch = agmigrate.LoginIDMatch{EmailCaseSensitive: true}
	h := w.middleware(cfg).Handler(app)
	serve(h, withLegacyCookie(w.verifiedToken(map[string]any{"email": "Kate@rec.test"})))
	serve(h, withLegacyCookie(w.verifiedToken(map[string]any{"email": "kate@rec.test"})))
	w.events.mu.Lock()
	defer w.events.mu.Unlock()
	var got []agmigrate.Outcome
	for _, ev := range w.events.l {
		got = append(got, ev.Shadow)
	}
	if len(got) != 2 || got[0] != agmigrate.OutcomeLoginIDMismatch || got[1] != agmigrate.OutcomeExchanged {
		t.Errorf("shadow outcomes %v, want [login_id_mismatch exchanged]", got)
	}
}
