package agmigrate_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// hookLedger collects what Config.OnSessionCreated is told.
type hookLedger struct {
	mu sync.Mutex
	l  []agmigrate.CreatedSession
}

func (h *hookLedger) add(_ context.Context, s agmigrate.CreatedSession) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.l = append(h.l, s)
}

func allEntries(t *testing.T, l agmigrate.SessionLedger) []agmigrate.CreatedSession {
	t.Helper()
	var out []agmigrate.CreatedSession
	var after agmigrate.CreatedSession
	for {
		page, err := l.CreatedSessions(context.Background(), after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1]
	}
}

// Every session the exchange and password capture create is in the
// store's ledger and told to the hook, with its user and client; a
// session the user made themselves, and a repeat hit, add nothing.
func TestLedgerRecordsEveryCreatedSession(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	w.fake.AddUser(authgeartest.User{Email: "bob@example.com", PasswordHash: bcryptOf(t, oldPW)})
	own, err := w.fake.CreateSession(alice, "test-client", nil) // her own sign-in
	if err != nil {
		t.Fatal(err)
	}
	store := agmigrate.NewMemoryStore(0)
	hook := &hookLedger{}
	cfg := w.config()
	cfg.Store, cfg.OnSessionCreated = store, hook.add
	m := w.middleware(cfg)
	h := m.Handler(app)
	tok := w.legacyToken("alice@example.com")
	for _, tk := range []string{tok, tok, w.legacyToken("alice@example.com"), w.legacyToken("bob@example.com")} {
		if s := serve(h, withLegacyCookie(tk)); s.source != "exchanged" && s.source != "authgear" {
			t.Fatalf("request: %+v", s)
		}
	}
	c, err := agmigrate.NewCapturer(m, agmigrate.CaptureConfig{Session: true, Verified: vouchAll})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.CapturePassword(context.Background(), "email", "bob@example.com", []byte(oldPW)); err != nil || res.Tokens == nil {
		t.Fatalf("capture: %+v, %v", res, err)
	}

	want := map[string]string{} // session → user, every session agmigrate made
	for _, s := range w.fake.Sessions("") {
		if s.ID != own.SessionID {
			want[s.ID] = s.UserID
		}
	}
	if len(want) != 4 {
		t.Fatalf("the fake holds %d sessions agmigrate made, want 4 (2 alice, 1 bob, 1 bob's capture)", len(want))
	}
	for name, got := range map[string][]agmigrate.CreatedSession{"store": allEntries(t, store), "hook": hook.l} {
		if len(got) != len(want) {
			t.Errorf("%s: %d entries, want %d", name, len(got), len(want))
		}
		for _, e := range got {
			if want[e.SessionID] != e.UserID || e.ClientID != "test-client" || e.CreatedAt.IsZero() {
				t.Errorf("%s: entry %+v is not a session agmigrate created", name, e)
			}
			if e.SessionID == own.SessionID {
				t.Errorf("%s: the user's own session is in the ledger", name)
			}
		}
	}
}

func entry(id string, ms int64, user string) agmigrate.CreatedSession {
	return agmigrate.CreatedSession{SessionID: id, UserID: user, ClientID: "web", CreatedAt: time.UnixMilli(ms)}
}

const (
	uA = "00000000-0000-4000-8000-00000000000a"
	uB = "00000000-0000-4000-8000-00000000000b"
	s1 = "10000000-0000-4000-8000-000000000001"
	s2 = "20000000-0000-4000-8000-000000000002"
	s3 = "30000000-0000-4000-8000-000000000003"
	s4 = "40000000-0000-4000-8000-000000000004"
)

// Both in-process ledgers page in ledger order (time, then session ID),
// keep one entry per session, and start at a time.
func TestLedgerOrderAndPaging(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) agmigrate.SessionLedger{
		"memory": func(*testing.T) agmigrate.SessionLedger { return agmigrate.NewMemoryStore(0) },
		"file": func(t *testing.T) agmigrate.SessionLedger {
			l, err := agmigrate.OpenFileLedger(filepath.Join(t.TempDir(), "ledger.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return l
		},
	} {
		t.Run(name, func(t *testing.T) {
			l := open(t)
			ctx := context.Background()
			// Out of order, two in one millisecond, one recorded twice.
			for _, e := range []agmigrate.CreatedSession{entry(s3, 2000, uA), entry(s2, 1000, uB), entry(s1, 1000, uA), entry(s4, 3000, uB), entry(s2, 1000, uB)} {
				if err := l.RecordSession(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			var ids []string
			for _, e := range allEntries(t, l) {
				ids = append(ids, e.SessionID)
			}
			if strings.Join(ids, ",") != strings.Join([]string{s1, s2, s3, s4}, ",") {
				t.Errorf("order %v", ids)
			}
			// Starting at a time takes every entry of that millisecond.
			page, err := l.CreatedSessions(ctx, agmigrate.CreatedSession{CreatedAt: time.UnixMilli(1000)}, 10)
			if err != nil || len(page) != 4 {
				t.Errorf("from 1000: %d, %v", len(page), err)
			}
			page, _ = l.CreatedSessions(ctx, agmigrate.CreatedSession{CreatedAt: time.UnixMilli(1001)}, 10)
			if len(page) != 2 || page[0].SessionID != s3 {
				t.Errorf("from 1001: %+v", page)
			}
			// A cursor written down and read back resumes after its entry.
			cur, err := agmigrate.ParseLedgerCursor(agmigrate.LedgerCursor(entry(s1, 1000, uA)))
			if err != nil {
				t.Fatal(err)
			}
			page, _ = l.CreatedSessions(ctx, cur, 1)
			if len(page) != 1 || page[0].SessionID != s2 || page[0].UserID != uB || page[0].ClientID != "web" || page[0].CreatedAt.UnixMilli() != 1000 {
				t.Errorf("after s1: %+v", page)
			}
			if err := l.RecordSession(ctx, agmigrate.CreatedSession{SessionID: "not-a-uuid", UserID: uA, ClientID: "web", CreatedAt: time.Now()}); !errors.Is(err, agmigrate.ErrBadLedgerEntry) {
				t.Errorf("bad entry: %v", err)
			}
		})
	}
}

// The file: mode 0600, refused when others can read it, read back by
// another process, a torn last line skipped, a corrupt line an error.
func TestFileLedger(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ledger.jsonl")
	l, err := agmigrate.OpenFileLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	for _, e := range []agmigrate.CreatedSession{entry(s1, 1000, uA), entry(s2, 2000, uB)} {
		if err := l.RecordSession(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %04o", fi.Mode().Perm())
		}
	}
	b, _ := os.ReadFile(path)
	for _, secret := range []string{"refresh", "access", "token"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the ledger holds %q: %s", secret, b)
		}
	}
	// A crash cut the last write short: the reader skips it.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"s":"` + s3 + `","u":"` + uA)
	f.Close()
	r, err := agmigrate.ReadFileLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := allEntries(t, r); len(got) != 2 || got[1].SessionID != s2 || got[1].UserID != uB {
		t.Errorf("read back %+v", got)
	}
	// Finished by a later write: read again, and the line counts.
	f, _ = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`","c":"web","t":3000}` + "\n")
	f.Close()
	if got := allEntries(t, r); len(got) != 3 {
		t.Errorf("after the line was finished: %d entries", len(got))
	}
	// A corrupt line in the middle is an error naming it.
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(string(b)+"{\"s\":\"x\"}\n"+string(b)), 0o600)
	rb, _ := agmigrate.ReadFileLedger(bad)
	if _, err := rb.CreatedSessions(ctx, agmigrate.CreatedSession{}, 10); !errors.Is(err, agmigrate.ErrBadLedgerEntry) || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("corrupt line: %v", err)
	}
	if runtime.GOOS != "windows" {
		open := filepath.Join(dir, "open.jsonl")
		os.WriteFile(open, nil, 0o644)
		os.Chmod(open, 0o644)
		if _, err := agmigrate.OpenFileLedger(open); !errors.Is(err, agmigrate.ErrLedgerFileReadable) {
			t.Errorf("a world-readable file: %v", err)
		}
		if _, err := agmigrate.ReadFileLedger(open); !errors.Is(err, agmigrate.ErrLedgerFileReadable) {
			t.Errorf("a world-readable file, read only: %v", err)
		}
	}
}

func TestCreatedSessionJSON(t *testing.T) {
	e := entry(s1, 1764322800123, uA)
	b, err := e.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back agmigrate.CreatedSession
	if err := back.UnmarshalJSON(b); err != nil || back.SessionID != s1 || back.UserID != uA || back.ClientID != "web" || !back.CreatedAt.Equal(e.CreatedAt) {
		t.Errorf("round trip %s: %+v, %v", b, back, err)
	}
	for _, in := range []string{
		``, `null`, `[]`, `{}`, `{"s":"` + s1 + `","u":"` + uA + `","c":"web"}`,
		`{"s":"` + s1 + `","u":"` + uA + `","c":"","t":1}`,
		`{"s":"` + s1 + `","u":"` + uA + `","c":"a\u0000b","t":1}`,
		`{"s":"` + s1 + `x","u":"` + uA + `","c":"web","t":1}`,
		`{"s":"` + s1 + `","u":"` + uA + `","c":"web","t":-5}`,
		`{"s":"` + s1 + `","u":"` + uA + `","c":"web","t":1e300}`,
	} {
		var c agmigrate.CreatedSession
		if err := c.UnmarshalJSON([]byte(in)); !errors.Is(err, agmigrate.ErrBadLedgerEntry) {
			t.Errorf("%s: %v", in, err)
		}
	}
	for _, in := range []string{"", "x", "12", ":" + s1, "-1:" + s1, "1:zz", "99999999999999999999:"} {
		if _, err := agmigrate.ParseLedgerCursor(in); !errors.Is(err, agmigrate.ErrBadLedgerEntry) {
			t.Errorf("cursor %q: %v", in, err)
		}
	}
}

// The ledger's readers take what is in a file or in Redis: never a panic,
// and what they accept writes back the same.
func FuzzReadLedgerLines(f *testing.F) {
	good, _ := entry(s1, 1000, uA).MarshalJSON()
	f.Add(string(good) + "\n")
	f.Add(string(good) + "\n" + string(good))
	f.Add("\n\n{}\n")
	f.Add(`{"s":"` + s1 + `","u":"` + uA + `","c":"w\u2028","t":1}` + "\n")
	f.Fuzz(func(t *testing.T, in string) {
		out, _, err := agmigrate.ReadLedgerLines(strings.NewReader(in))
		if err != nil {
			return
		}
		if !sort.SliceIsSorted(out, func(i, j int) bool { return out[i].Before(out[j]) }) {
			t.Fatal("not in ledger order")
		}
		for _, e := range out {
			b, err := e.MarshalJSON()
			if err != nil {
				t.Fatalf("accepted %+v but cannot write it: %v", e, err)
			}
			var back agmigrate.CreatedSession
			if err := back.UnmarshalJSON(b); err != nil || back.SessionID != e.SessionID || back.UserID != e.UserID ||
				back.ClientID != e.ClientID || !back.CreatedAt.Equal(e.CreatedAt) {
				t.Fatalf("round trip of %+v: %+v, %v", e, back, err)
			}
		}
	})
}

// A file ledger for an app with one replica and no Redis: every session
// the middleware creates is appended, and `agmigrate sessions revoke
// --migrated --ledger FILE` reads it back to undo the cut-over.
func ExampleFileLedger() {
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	ledger, err := agmigrate.OpenFileLedger(filepath.Join(dir, "agmigrate-sessions.jsonl"))
	if err != nil {
		panic(err)
	}
	defer ledger.Close()
	cfg := agmigrate.Config{
		// Authgear, Legacy, LegacyToken, Admin, ClientID as usual …
		OnSessionCreated: func(ctx context.Context, s agmigrate.CreatedSession) {
			if err := ledger.RecordSession(ctx, s); err != nil {
				slog.Error("session not in the ledger", "session_id", s.SessionID, "error", err)
			}
		},
	}
	// What the exchange does after createSession:
	cfg.OnSessionCreated(context.Background(), agmigrate.CreatedSession{SessionID: s1, UserID: uA, ClientID: "web", CreatedAt: time.UnixMilli(1764322800000)})
	entries, _ := ledger.CreatedSessions(context.Background(), agmigrate.CreatedSession{}, 10)
	fmt.Println(len(entries), entries[0].NodeID())
	// Output: 1 U2Vzc2lvbjoxMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDE
}
