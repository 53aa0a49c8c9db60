package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/agmigrate/agmigrate/revoke"
	"github.com/agmigrate/agmigrate/verifier"
)

const legacySecret = "legacy-hmac-secret-0123456789abcdef"

func legacyToken(email string, n int) string {
	claims := fmt.Sprintf(`{"iss":"https://legacy.example.com","aud":"web","email":%q,"email_verified":true,"exp":%d,"jti":"t%d"}`,
		email, time.Now().Add(time.Hour).Unix(), n)
	in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
	m := hmac.New(sha256.New, []byte(legacySecret))
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// migrate puts a middleware on st in front of the fake and exchanges
// legacy tokens of three users (user i, i+1 times), each of whom also has
// a session of their own. It returns the session IDs agmigrate created
// and those it did not.
func migrate(t *testing.T, fake *authgeartest.Server, st *redisstore.Store) (migrated, own map[string]bool) {
	t.Helper()
	ctx := context.Background()
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ag.Close)
	lv, err := verifier.NewJWT(ctx, verifier.HS256([]byte(legacySecret), "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	mw, err := agmigrate.New(agmigrate.Config{Authgear: ag, Legacy: lv, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"}, Store: st,
		Delivery: agmigrate.Cookies{InsecureAllowHTTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	migrated, own = map[string]bool{}, map[string]bool{}
	n := 0
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		id := fake.AddUser(authgeartest.User{Email: email})
		s, err := fake.CreateSession(id, "test-client", nil)
		if err != nil {
			t.Fatal(err)
		}
		own[s.SessionID] = true
		for range i + 1 {
			n++
			r := httptest.NewRequest("GET", "/", nil)
			r.AddCookie(&http.Cookie{Name: "legacy_session", Value: legacyToken(email, n)})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			sid := ""
			for _, c := range rec.Result().Cookies() {
				if c.Name == "ag_refresh" {
					sid, _, _ = strings.Cut(c.Value, ".")
				}
			}
			if sid == "" {
				t.Fatalf("exchange %s: %d %s", email, rec.Code, rec.Body)
			}
			migrated[sid] = true
		}
	}
	return migrated, own
}

// The whole flow: sessions the middleware recorded in Redis, dumped to a
// file, read back by the core's file ledger into the same entries, and
// revoked from that file; the users' own sessions stay.
func TestDumpThenRevoke(t *testing.T) {
	const pw = "s3cret-pw"
	addr := startRedis(t, pw)
	st := ledgerStore(t, addr, pw, 2, "app:")
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	migrated, own := migrate(t, fake, st)
	want := allEntries(t, st)
	if len(want) != 6 || len(migrated) != 6 {
		t.Fatalf("%d ledger entries, %d sessions migrated; want 6", len(want), len(migrated))
	}

	out := filepath.Join(t.TempDir(), "ledger.jsonl")
	env := map[string]string{"AGMIGRATE_REDIS_URL": "redis://:" + pw + "@" + addr + "/2"}
	code, stdout, stderr := runCmd(t, env, "-prefix", "app:", "-o", out)
	if code != 0 || !strings.Contains(stdout, "wrote 6 sessions from app:sessions:{ledger}") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, pw) {
		t.Errorf("the password was echoed:\n%s%s", stdout, stderr)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file %v, %v; want mode 0600", fi, err)
	}

	// Byte for byte what the core's FileLedger writes for those sessions.
	ref := filepath.Join(t.TempDir(), "ref.jsonl")
	rl, err := agmigrate.OpenFileLedger(ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range want {
		if err := rl.RecordSession(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	rl.Close()
	if got, exp := readFile(t, out), readFile(t, ref); got != exp {
		t.Errorf("the file is not FileLedger's format:\n got %q\nwant %q", got, exp)
	}

	// The core reads it back, both ways, into the same entries.
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	lines, _, err := agmigrate.ReadLedgerLines(f)
	f.Close()
	if err != nil || !reflect.DeepEqual(lines, want) {
		t.Fatalf("ReadLedgerLines: %v\n got %v\nwant %v", err, lines, want)
	}
	fl, err := agmigrate.ReadFileLedger(out)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	if got := allEntries(t, fl); !reflect.DeepEqual(got, want) {
		t.Fatalf("FileLedger\n got %v\nwant %v", got, want)
	}

	// What `agmigrate sessions revoke --migrated --ledger FILE` does.
	rep, err := revoke.Migrated(context.Background(), revoke.Config{Admin: fake.AdminClient(), Ledger: fl})
	if err != nil || rep.Revoked != 6 {
		t.Fatalf("revoke: %+v, %v", rep, err)
	}
	for _, s := range fake.Sessions("") {
		if migrated[s.ID] || !own[s.ID] {
			t.Errorf("session %s is left (migrated %v)", s.ID, migrated[s.ID])
		}
	}
	if n := fake.SessionCount(""); n != len(own) {
		t.Errorf("%d sessions left, want the users' own %d", n, len(own))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
