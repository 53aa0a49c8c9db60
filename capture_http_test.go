package agmigrate_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// legacyLogin is a legacy JSON login: 200 for the right password, 401
// otherwise. It reads the form itself, as such handlers do, and can
// keep its request body for later inspection.
type legacyLogin struct {
	passwords map[string]string
	silent    bool // answer success by writing nothing

	mu   sync.Mutex
	seen []string // login IDs and passwords it read
	body io.Reader
}

func (l *legacyLogin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	l.body = r.Body
	l.mu.Unlock()
	if r.URL.Query().Get("keep") == "1" {
		// Does not read the body: the test reads it after the call.
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	email, pw := r.FormValue("email"), r.FormValue("password")
	l.mu.Lock()
	l.seen = append(l.seen, email+" "+pw)
	l.mu.Unlock()
	if want, ok := l.passwords[email]; !ok || want != pw {
		http.Error(w, `{"error":"wrong password"}`, http.StatusUnauthorized)
		return
	}
	if l.silent {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

func postForm(h http.Handler, target string, form string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", target, strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func TestPasswordCaptureHandler(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	w.fake.AddUser(authgeartest.User{Email: "bob@example.com"})
	w.fake.AddUser(authgeartest.User{Email: "carol@example.com"})
	legacy := &legacyLogin{passwords: map[string]string{
		"alice@example.com": "alice pass+1", "bob@example.com": "bob-password-2", "carol@example.com": "carol-password-3"}}
	c, _ := w.capturer(agmigrate.CaptureConfig{Session: true}, nil)
	if _, err := c.Handler(agmigrate.CaptureForm{}, legacy); !errors.Is(err, agmigrate.ErrConfig) {
		t.Fatalf("no Succeeded: %v", err)
	}
	h, err := c.Handler(agmigrate.CaptureForm{Succeeded: agmigrate.StatusIs(http.StatusOK)}, legacy)
	if err != nil {
		t.Fatal(err)
	}
	form := func(email, pw string) string {
		return url.Values{"email": {email}, "password": {pw}}.Encode()
	}

	// A wrong password: the legacy handler refuses, nothing is captured.
	if rec := postForm(h, "/login", form("alice@example.com", "guess-password")); rec.Code != 401 || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("wrong password: %d %v", rec.Code, rec.Header())
	}
	// Two passwords: which one the legacy system checked is unclear.
	postForm(h, "/login", "email=alice%40example.com&password=guess-password&password=alice+pass%2B1")
	// Not a form.
	r := httptest.NewRequest("POST", "/login", strings.NewReader(`{"email":"alice@example.com","password":"alice pass+1"}`))
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Too large to read: passed on whole, not captured.
	big := form("alice@example.com", "alice pass+1") + "&pad=" + strings.Repeat("x", 70<<10)
	if rec := postForm(h, "/login", big); rec.Code != 200 {
		t.Fatalf("large form: %d", rec.Code)
	}
	if n := w.fake.Calls("resetPassword") + w.fake.Calls("getUserByLoginID"); n != 0 {
		t.Fatalf("%d Admin API calls before any capture", n)
	}

	// The right password: captured, and the session goes with the answer.
	rec := postForm(h, "/login", form("alice@example.com", "alice pass+1"))
	if rec.Code != 200 || rec.Body.String() != `{"ok":true}` {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if !w.fake.CheckPassword("alice@example.com", "alice pass+1") {
		t.Error("password not captured")
	}
	cookies := map[string]bool{}
	for _, ck := range rec.Result().Cookies() {
		cookies[ck.Name] = ck.Value != ""
	}
	if !cookies["ag_access"] || !cookies["ag_refresh"] {
		t.Errorf("cookies %v", rec.Result().Cookies())
	}
	legacy.mu.Lock()
	last := legacy.seen[len(legacy.seen)-1]
	legacy.mu.Unlock()
	if last != "alice@example.com alice pass+1" {
		t.Errorf("the legacy handler read %q", last)
	}

	// A handler that answers success by writing nothing.
	legacy.silent = true
	if rec := postForm(h, "/login", form("bob@example.com", "bob-password-2")); rec.Code != 200 || len(rec.Result().Cookies()) != 2 {
		t.Errorf("silent success: %d %v", rec.Code, rec.Header())
	}
	if !w.fake.CheckPassword("bob@example.com", "bob-password-2") {
		t.Error("silent success not captured")
	}
	if n := w.fake.Calls("resetPassword"); n != 2 {
		t.Errorf("%d resetPassword calls", n)
	}
}

// The body the wrapper read is cleared when the legacy handler returns: a
// handler that kept r.Body finds no password in it afterwards.
func TestPasswordCaptureHandlerClearsBody(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	legacy := &legacyLogin{}
	c, _ := w.capturer(agmigrate.CaptureConfig{}, nil)
	h, err := c.Handler(agmigrate.CaptureForm{Succeeded: agmigrate.StatusIs(http.StatusOK)}, legacy)
	if err != nil {
		t.Fatal(err)
	}
	postForm(h, "/login?keep=1", "email=kept%40example.com&password=Kept-Secret-99")
	legacy.mu.Lock()
	kept := legacy.body
	legacy.mu.Unlock()
	b, _ := io.ReadAll(kept)
	if len(b) == 0 || strings.Contains(string(b), "Kept-Secret") || strings.Trim(string(b), "\x00") != "" {
		t.Errorf("the body after the call: %q", b)
	}
}

// With Session, a login that also issues a legacy session leaves one
// Authgear session: the next request comes with the Authgear cookies,
// which the middleware takes before the legacy session.
func TestPasswordCaptureHandlerSessionAndLegacyCookie(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	id := w.fake.AddUser(authgeartest.User{Email: "both@example.com"})
	mw := w.middleware(w.config())
	c, err := agmigrate.NewCapturer(mw, agmigrate.CaptureConfig{Session: true, Verified: vouchAll})
	if err != nil {
		t.Fatal(err)
	}
	legacySession := w.legacyToken("both@example.com")
	legacy := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.FormValue("password") != "both-password-1" {
			rw.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.SetCookie(rw, &http.Cookie{Name: "legacy_session", Value: legacySession})
	})
	h, err := c.Handler(agmigrate.CaptureForm{Succeeded: agmigrate.StatusIs(http.StatusOK)}, legacy)
	if err != nil {
		t.Fatal(err)
	}
	rec := postForm(h, "/login", "email=both%40example.com&password=both-password-1")
	r := httptest.NewRequest("GET", "/", nil)
	for _, ck := range rec.Result().Cookies() {
		r.AddCookie(ck)
	}
	if len(r.Cookies()) != 3 {
		t.Fatalf("cookies %v", rec.Result().Cookies())
	}
	got := serve(mw.Handler(app), r)
	if got.source != "authgear" || got.user != id {
		t.Errorf("served %+v", got)
	}
	if n := w.fake.SessionCount(id); n != 1 {
		t.Errorf("%d Authgear sessions", n)
	}
}
