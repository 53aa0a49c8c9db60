package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

const safariUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"

// cutover: three users, each with a session of their own (signed in at
// Authgear), whose legacy sessions the middleware exchanged (user i, i
// times), recording each new session through Config.OnSessionCreated.
// Then every session is refreshed with a browser's User-Agent: Authgear
// shows nothing that tells agmigrate's from the users' own.
type cutover struct {
	fake     *authgeartest.Server
	env      map[string]string
	migrated map[string]bool // session uuid → created by agmigrate
}

func newCutover(t *testing.T, record func(context.Context, agmigrate.CreatedSession)) *cutover {
	t.Helper()
	fake, env := setup(t, authgeartest.Options{EnableCreateSession: true})
	c := &cutover{fake: fake, env: env, migrated: map[string]bool{}}
	ctx := context.Background()
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ag.Close)
	secret := "legacy-hmac-secret-0123456789abcdef"
	legacy, err := verifier.NewJWT(ctx, verifier.HS256([]byte(secret), "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	mw, err := agmigrate.New(agmigrate.Config{Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"}, Delivery: agmigrate.Cookies{InsecureAllowHTTP: true},
		OnSessionCreated: record})
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	n := 0
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		id := fake.AddUser(authgeartest.User{Email: email})
		own, err := fake.CreateSession(id, "test-client", nil)
		if err != nil {
			t.Fatal(err)
		}
		c.migrated[own.SessionID] = false
		refresh(t, fake.URL, own.RefreshToken)
		for range i {
			n++
			r := httptest.NewRequest("GET", "/", nil)
			r.AddCookie(&http.Cookie{Name: "legacy_session", Value: hs256(secret, fmt.Sprintf(
				`{"iss":"https://legacy.example.com","aud":"web","email":%q,"email_verified":true,"exp":%d,"jti":"l%d"}`, email, time.Now().Add(time.Hour).Unix(), n))})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var rt string
			for _, ck := range rec.Result().Cookies() {
				if ck.Name == "ag_refresh" {
					rt = ck.Value
				}
			}
			sid, _, ok := strings.Cut(rt, ".")
			if !ok {
				t.Fatalf("exchange %s: %d", email, rec.Code)
			}
			c.migrated[sid] = true
			refresh(t, fake.URL, rt)
		}
	}
	return c
}

func refresh(t *testing.T, base, rt string) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"test-client"}, "refresh_token": {rt}}
	req, _ := http.NewRequest("POST", base+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", safariUA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d", resp.StatusCode)
	}
}

// check: the fake holds wantMigrated of agmigrate's sessions and every one
// of the users' own.
func (c *cutover) check(t *testing.T, wantMigrated int) {
	t.Helper()
	migrated, own, wantOwn := 0, 0, 0
	for _, s := range c.fake.Sessions("") {
		if c.migrated[s.ID] {
			migrated++
		} else {
			own++
		}
	}
	for _, m := range c.migrated {
		if !m {
			wantOwn++
		}
	}
	if migrated != wantMigrated || own != wantOwn {
		t.Errorf("%d migrated sessions left (want %d), %d own sessions (want %d)", migrated, wantMigrated, own, wantOwn)
	}
}

// fileLedger is a FileLedger the middleware records into.
func fileLedger(t *testing.T) (string, func(context.Context, agmigrate.CreatedSession)) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	l, err := agmigrate.OpenFileLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return path, func(ctx context.Context, s agmigrate.CreatedSession) {
		if err := l.RecordSession(ctx, s); err != nil {
			t.Error(err)
		}
	}
}

func TestSessionsRevokeMigrated(t *testing.T) {
	ledger, record := fileLedger(t)
	c := newCutover(t, record)
	dir := t.TempDir()
	state, report := filepath.Join(dir, "state.json"), filepath.Join(dir, "report.json")

	// The marker alone finds none of them any more.
	code, out := runCmd(t, c.env, "sessions", "list", "--marker")
	if code != 0 || !strings.Contains(out, "0 created by agmigrate") || !strings.Contains(out, "6 other refresh-token sessions left alone") {
		t.Fatalf("list --marker: exit %d\n%s", code, out)
	}
	// The ledger lists the three.
	code, out = runCmd(t, c.env, "sessions", "list", "--ledger", ledger)
	if code != 0 || strings.Count(out, "session U2Vzc2lvbj") != 3 || !strings.Contains(out, "3 created by agmigrate: 3 in the ledger, 0 by the User-Agent marker; 3 live") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}

	// A dry run changes nothing and writes no state.
	code, out = runCmd(t, c.env, "sessions", "revoke", "--migrated", "--ledger", ledger, "--dry-run", "--state", state, "--report", report)
	if code != 0 || !strings.Contains(out, "would revoke 3") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	c.check(t, 3)
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Error("a dry run wrote a state file")
	}
	if n := c.fake.Calls("revokeSession"); n != 0 {
		t.Errorf("%d revokeSession calls in a dry run", n)
	}

	// The real run: none of agmigrate's sessions left, every other kept.
	code, out = runCmd(t, c.env, "sessions", "revoke", "--migrated", "--ledger", ledger, "--state", state, "--report", report, "--rate", "1000")
	if code != 0 || !strings.Contains(out, "revoked 3") {
		t.Fatalf("revoke: exit %d\n%s", code, out)
	}
	c.check(t, 0)
	var rep sessionsReport
	b, _ := os.ReadFile(report)
	if err := json.Unmarshal(b, &rep); err != nil || !rep.Complete || rep.Revoked != 3 || rep.Ledger != 3 || len(rep.Found) != 3 || rep.Found[0].Source != "ledger" {
		t.Errorf("report %+v, %v", rep, err)
	}
	// Finished: a second run says so and does nothing.
	if code, out = runCmd(t, c.env, "sessions", "revoke", "--migrated", "--ledger", ledger, "--state", state, "--report", report); code != 0 || !strings.Contains(out, "previous run finished") {
		t.Errorf("second run: exit %d\n%s", code, out)
	}
	// Another state file: all three found already ended.
	code, out = runCmd(t, c.env, "sessions", "revoke", "--migrated", "--ledger", ledger, "--state", state+"2", "--report", report, "--rate", "1000")
	if code != 0 || !strings.Contains(out, "revoked 0, 3 already ended, 0 failed") {
		t.Errorf("third run: exit %d\n%s", code, out)
	}
}

func TestSessionsUsage(t *testing.T) {
	ledger, record := fileLedger(t)
	c := newCutover(t, record)
	for _, args := range [][]string{
		{"sessions"},
		{"sessions", "revoke", "--ledger", ledger},
		{"sessions", "revoke", "--migrated"},
		{"sessions", "list"},
		{"sessions", "revoke", "--migrated", "--ledger", ledger, "--since", "yesterday"},
		{"sessions", "revoke", "--migrated", "--ledger", ledger, "--rate", "0"},
		{"sessions", "revoke", "--migrated", "--ledger", filepath.Join(t.TempDir(), "none")},
	} {
		if code, out := runCmd(t, c.env, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, out)
		}
	}
	// The command reads no Redis: the old flags point at the dump command,
	// and never echo the URL they were given.
	for _, args := range [][]string{
		{"sessions", "revoke", "--migrated", "--redis-url", "redis://:pw-1234@127.0.0.1:1"},
		{"sessions", "list", "--redis-url=redis://:pw-1234@127.0.0.1:1"},
		{"sessions", "list", "-redis-prefix", "app:", "--ledger", ledger},
	} {
		code, out := runCmd(t, c.env, args...)
		if code != 2 || !strings.Contains(out, "redisstore/cmd/agmigrate-ledger") || strings.Contains(out, "pw-1234") {
			t.Errorf("%v: exit %d, want 2 and a pointer to agmigrate-ledger\n%s", args, code, out)
		}
	}
	if code, out := runCmd(t, c.env, "sessions", "list", "--ledger", ledger, "--since", "2026-11-28"); code != 0 {
		t.Errorf("--since date: exit %d\n%s", code, out)
	}
}

// A revocation that fails leaves the state before that session; the next
// run resumes there and finishes.
func TestSessionsRevokeResumes(t *testing.T) {
	ledger, record := fileLedger(t)
	c := newCutover(t, record)
	dir := t.TempDir()
	state, report := filepath.Join(dir, "state.json"), filepath.Join(dir, "report.json")
	c.fake.SetFault("revokeSession", authgeartest.Fault{Status: 503, Times: 1, After: 1})
	code, out := runCmd(t, c.env, "sessions", "revoke", "--migrated", "--ledger", ledger, "--state", state, "--report", report, "--rate", "1000")
	if code != 1 || !strings.Contains(out, "FAILED") || !strings.Contains(out, "run again") {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	var st sessionsState
	b, _ := os.ReadFile(state)
	if err := json.Unmarshal(b, &st); err != nil || st.Done || !strings.HasPrefix(st.Cursor, "ledger:") {
		t.Fatalf("state %+v, %v", st, err)
	}
	c.check(t, 1)
	// Other flags than the state was made with are refused.
	if code, out := runCmd(t, c.env, "sessions", "revoke", "--migrated", "--ledger", ledger, "--marker", "--state", state, "--report", report); code != 2 {
		t.Errorf("state of another selection: exit %d\n%s", code, out)
	}
	code, out = runCmd(t, c.env, "sessions", "revoke", "--migrated", "--ledger", ledger, "--state", state, "--report", report, "--rate", "1000")
	if code != 0 || !strings.Contains(out, "resuming") || !strings.Contains(out, "revoked 1,") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	c.check(t, 0)
}

// Sessions from before the ledger, not refreshed since, are found with
// --marker and counted apart.
func TestSessionsMarker(t *testing.T) {
	ledger, record := fileLedger(t)
	c := newCutover(t, record)
	old, err := c.fake.AdminClient().CreateSession(context.Background(), adminapi.UserNodeID(c.fake.Sessions("")[0].UserID), "test-client", nil)
	if err != nil {
		t.Fatal(err)
	}
	sid, _, _ := strings.Cut(old.RefreshToken, ".")
	c.migrated[sid] = true
	dir := t.TempDir()
	code, out := runCmd(t, c.env, "sessions", "revoke", "--migrated", "--ledger", ledger, "--marker",
		"--state", filepath.Join(dir, "s"), "--report", filepath.Join(dir, "r"), "--rate", "1000")
	if code != 0 || !strings.Contains(out, "4 sessions created by agmigrate (3 in the ledger, 1 by the User-Agent marker): revoked 4") ||
		!strings.Contains(out, "3 other refresh-token sessions left alone") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	c.check(t, 0)
}
