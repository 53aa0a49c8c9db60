package agmigrate_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
	"golang.org/x/crypto/bcrypt"
)

const (
	capturedPW = "legacy-password-42"
	oldPW      = "authgear-password-7"
)

// capturer is a Capturer on w with cfg, logging JSON into a buffer.
func (w *world) capturer(cfg agmigrate.CaptureConfig, edit func(*agmigrate.Config)) (*agmigrate.Capturer, *captureLogs) {
	w.t.Helper()
	logs := &captureLogs{}
	mc := w.config()
	mc.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if edit != nil {
		edit(&mc)
	}
	if cfg.Verified == nil && !cfg.UnsafeAllowUnverified {
		cfg.Verified = vouchAll
	}
	c, err := agmigrate.NewCapturer(w.middleware(mc), cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	return c, logs
}

// vouchAll is a legacy system whose every account has its login ID
// confirmed.
func vouchAll(context.Context, string, string) (bool, error) { return true, nil }

type captureLogs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *captureLogs) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *captureLogs) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func bcryptOf(t testing.TB, pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestPasswordCaptureSetsMissingPassword(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	id := w.fake.AddUser(authgeartest.User{Email: "imported@example.com"}) // imported without a password
	c, _ := w.capturer(agmigrate.CaptureConfig{}, nil)
	pw := []byte(capturedPW)
	res, err := c.CapturePassword(context.Background(), "email", "imported@example.com", pw)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != agmigrate.CaptureSet || res.UserID != id || res.Tokens != nil {
		t.Errorf("result %+v", res)
	}
	if !w.fake.CheckPassword("imported@example.com", capturedPW) {
		t.Error("Authgear does not accept the captured password")
	}
	if string(pw) != capturedPW {
		t.Error("CapturePassword wrote to the caller's password")
	}
	if n := w.fake.Calls("resetPassword"); n != 1 {
		t.Errorf("%d resetPassword calls", n)
	}
	if n := len(w.fake.LoginSessions(id)) + w.fake.SessionCount(id); n != 0 {
		t.Errorf("%d sessions made without Session", n)
	}
	if w.events.count(agmigrate.OutcomePasswordCaptured) != 1 {
		t.Errorf("events %+v", w.events.l)
	}
	// Again: the password is there now; nothing changes.
	res, err = c.CapturePassword(context.Background(), "email", "Imported@example.com", pw)
	if err != nil || res.Outcome != agmigrate.CaptureKept {
		t.Fatalf("second capture: %+v, %v", res, err)
	}
	if n := w.fake.Calls("resetPassword"); n != 1 {
		t.Errorf("%d resetPassword calls after a second login", n)
	}
}

func TestPasswordCaptureKeepsExistingPassword(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "has@example.com", PasswordHash: bcryptOf(t, oldPW)})
	c, _ := w.capturer(agmigrate.CaptureConfig{}, nil)
	res, err := c.CapturePassword(context.Background(), "email", "has@example.com", []byte(capturedPW))
	if err != nil || res.Outcome != agmigrate.CaptureKept {
		t.Fatalf("%+v, %v", res, err)
	}
	if !w.fake.CheckPassword("has@example.com", oldPW) || w.fake.CheckPassword("has@example.com", capturedPW) {
		t.Error("the user's Authgear password changed")
	}
	if n := w.fake.Calls("resetPassword"); n != 0 {
		t.Errorf("%d resetPassword calls", n)
	}
	if w.events.count(agmigrate.OutcomePasswordKept) != 1 {
		t.Error("no password_kept outcome")
	}
}

// gateTransport holds Admin API requests that mention op until open is
// closed.
type gateTransport struct {
	op   string
	open chan struct{}
}

func (g *gateTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.GetBody != nil {
		b, _ := r.GetBody()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(b)
		if strings.Contains(buf.String(), g.op) {
			<-g.open
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestPasswordCaptureConcurrentLoginsOneReset(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "busy@example.com"})
	gate := &gateTransport{op: "getUserByLoginID", open: make(chan struct{})}
	c, _ := w.capturer(agmigrate.CaptureConfig{}, func(cfg *agmigrate.Config) {
		admin, err := adminapi.New(adminapi.Config{Endpoint: w.fake.URL, ProjectID: w.fake.ProjectID(), Key: w.fake.AdminKey(),
			HTTPClient: &http.Client{Transport: gate}})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Admin = admin
	})
	const n = 8
	var wg sync.WaitGroup
	started := make(chan struct{}, n)
	results := make([]*agmigrate.CaptureResult, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started <- struct{}{}
			// Two spellings of one login ID: two lookups, one user.
			id := "busy@example.com"
			if i%2 == 1 {
				id = "Busy@example.com"
			}
			results[i], errs[i] = c.CapturePassword(context.Background(), "email", id, []byte(capturedPW))
		}()
	}
	for range n {
		<-started
	}
	close(gate.open)
	wg.Wait()
	set := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("login %d: %v", i, errs[i])
		}
		switch results[i].Outcome {
		case agmigrate.CaptureSet:
			set++
		case agmigrate.CaptureJoined, agmigrate.CaptureKept:
		default:
			t.Errorf("login %d: %v", i, results[i].Outcome)
		}
	}
	if set != 1 {
		t.Errorf("%d logins report having set the password", set)
	}
	if got := w.fake.Calls("resetPassword"); got != 1 {
		t.Errorf("%d resetPassword calls for %d concurrent logins", got, n)
	}
	if !w.fake.CheckPassword("busy@example.com", capturedPW) {
		t.Error("password not set")
	}
	if w.events.count(agmigrate.OutcomePasswordCaptured) != 1 {
		t.Error("password_captured is not counted once")
	}
}

func TestPasswordCapturePolicy(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	id := w.fake.AddUser(authgeartest.User{Email: "weak@example.com"})
	c, _ := w.capturer(agmigrate.CaptureConfig{CreateMissingUsers: true}, nil)
	for _, login := range []string{"weak@example.com", "new-weak@example.com"} {
		res, err := c.CapturePassword(context.Background(), "email", login, []byte("abc"))
		var pe *agmigrate.PasswordPolicyError
		if res != nil || !errors.Is(err, agmigrate.ErrPasswordPolicy) || !errors.As(err, &pe) {
			t.Fatalf("%s: %+v, %v", login, res, err)
		}
		if len(pe.Violations) != 1 || pe.Violations[0].Name != "PasswordTooShort" {
			t.Errorf("%s: violations %v", login, pe.Violations)
		}
		if w.fake.CheckPassword(login, "abc") {
			t.Errorf("%s: the weak password was set", login)
		}
	}
	u, _ := w.fake.User(id)
	if u.PasswordHash != "" {
		t.Error("the user got a password")
	}
	if userExists(t, w, "new-weak@example.com") {
		t.Error("createUser with a weak password made a user")
	}
	if w.events.count(agmigrate.OutcomePasswordPolicy) != 2 {
		t.Error("password_policy not counted")
	}
}

func TestPasswordCaptureLookAlikeRefused(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	victims := []string{"rec1@rec.test", "strasse@rec.test", "kate@rec.test", "alice"}
	for _, v := range victims {
		if strings.Contains(v, "@") {
			w.fake.AddUser(authgeartest.User{Email: v})
		} else {
			w.fake.AddUser(authgeartest.User{Username: v})
		}
	}
	c, _ := w.capturer(agmigrate.CaptureConfig{CreateMissingUsers: true}, nil)
	for _, tc := range []struct{ key, login, victim string }{
		{"email", "ｒec1@rec.test", "rec1@rec.test"},      // fullwidth r
		{"email", "straße@rec.test", "strasse@rec.test"}, // ß folds to ss
		{"email", "\u212Aate@rec.test", "kate@rec.test"}, // Kelvin sign folds to k
		{"email", " rec1@rec.test", "rec1@rec.test"},     // Authgear trims only when storing
		{"username", "ａlice", "alice"},                   // fullwidth a
	} {
		res, err := c.CapturePassword(context.Background(), tc.key, tc.login, []byte(capturedPW))
		if res != nil || !errors.Is(err, verifier.ErrLoginID) {
			t.Errorf("%q: %+v, %v", tc.login, res, err)
		}
		if w.fake.CheckPassword(tc.victim, capturedPW) {
			t.Errorf("%q set the password of %q", tc.login, tc.victim)
		}
	}
	if n := w.fake.Calls("getUserByLoginID") + w.fake.Calls("resetPassword") + w.fake.Calls("createUser"); n != 0 {
		t.Errorf("%d Admin API calls for refused login IDs", n)
	}
	if w.events.count(agmigrate.OutcomePasswordRefused) != 5 {
		t.Error("password_refused not counted")
	}
}

// Authgear's ignore_dot_sign folds "r.ec1" onto "rec1": the verifier's
// rules cannot know it, so the exchange's comparison must refuse.
func TestPasswordCaptureMismatchRefused(t *testing.T) {
	w := newWorld(t, authgeartest.Options{IgnoreDotSign: true})
	w.fake.AddUser(authgeartest.User{Email: "rec1@rec.test"})
	c, logs := w.capturer(agmigrate.CaptureConfig{CreateMissingUsers: true}, nil)
	res, err := c.CapturePassword(context.Background(), "email", "r.ec1@rec.test", []byte(capturedPW))
	if res != nil || !errors.Is(err, agmigrate.ErrLoginIDMismatch) {
		t.Fatalf("%+v, %v", res, err)
	}
	if w.fake.CheckPassword("rec1@rec.test", capturedPW) || w.fake.Calls("resetPassword")+w.fake.Calls("createUser") != 0 {
		t.Error("the victim's password was touched")
	}
	if !strings.Contains(logs.String(), "differs from the verified one") {
		t.Error("mismatch not logged")
	}
}

func TestPasswordCaptureDisabledUser(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	dis := w.fake.AddUser(authgeartest.User{Email: "off@example.com"})
	w.fake.SetUserDisabled(dis, true)
	deact := w.fake.AddUser(authgeartest.User{Email: "gone@example.com"})
	w.fake.SetUserDeactivated(deact, true)
	c, _ := w.capturer(agmigrate.CaptureConfig{CreateMissingUsers: true, Session: true}, nil)
	for _, login := range []string{"off@example.com", "gone@example.com"} {
		res, err := c.CapturePassword(context.Background(), "email", login, []byte(capturedPW))
		if res != nil || !errors.Is(err, agmigrate.ErrUserDisabled) {
			t.Errorf("%s: %+v, %v", login, res, err)
		}
		if w.fake.CheckPassword(login, capturedPW) {
			t.Errorf("%s: password set", login)
		}
	}
	if n := w.fake.Calls("resetPassword") + w.fake.Calls("createUser") + w.fake.Calls("createSession"); n != 0 {
		t.Errorf("%d mutations for disabled users", n)
	}
	if w.events.count(agmigrate.OutcomePasswordUserDisabled) != 2 {
		t.Error("password_user_disabled not counted")
	}
}

func TestPasswordCaptureMissingUser(t *testing.T) {
	t.Run("creation off", func(t *testing.T) {
		w := newWorld(t, authgeartest.Options{})
		c, _ := w.capturer(agmigrate.CaptureConfig{}, nil)
		res, err := c.CapturePassword(context.Background(), "email", "nobody@example.com", []byte(capturedPW))
		if res != nil || !errors.Is(err, agmigrate.ErrUserMissing) {
			t.Fatalf("%+v, %v", res, err)
		}
		if w.fake.Calls("createUser") != 0 || userExists(t, w, "nobody@example.com") {
			t.Error("a user was created")
		}
		if w.events.count(agmigrate.OutcomePasswordUserMissing) != 1 || w.events.l[0].LoginID != "nobody@example.com" {
			t.Errorf("events %+v", w.events.l)
		}
	})
	t.Run("creation on", func(t *testing.T) {
		w := newWorld(t, authgeartest.Options{})
		c, _ := w.capturer(agmigrate.CaptureConfig{CreateMissingUsers: true}, nil)
		res, err := c.CapturePassword(context.Background(), "email", "newbie@example.com", []byte(capturedPW))
		if err != nil || res.Outcome != agmigrate.CaptureCreated || res.UserID == "" {
			t.Fatalf("%+v, %v", res, err)
		}
		if !w.fake.CheckPassword("newbie@example.com", capturedPW) || w.fake.Calls("createUser") != 1 {
			t.Error("the user was not created with the password")
		}
		if _, ok := w.fake.User(res.UserID); !ok {
			t.Error("no such user")
		}
	})
	t.Run("created in the meantime", func(t *testing.T) {
		// The lookup missed a user that exists (created by another
		// replica, an import, a sign-up): createUser says so, and the user
		// is taken as found, under the same checks.
		w := newWorld(t, authgeartest.Options{})
		w.fake.AddUser(authgeartest.User{Email: "race@example.com"})
		w.fake.SetFault("getUserByLoginID", authgeartest.Fault{Times: 1,
			GraphQLError: &authgeartest.GraphQLError{Message: "user not found", ErrorName: "NotFound", Reason: "UserNotFound"}})
		c, _ := w.capturer(agmigrate.CaptureConfig{CreateMissingUsers: true}, nil)
		res, err := c.CapturePassword(context.Background(), "email", "race@example.com", []byte(capturedPW))
		if err != nil || res.Outcome != agmigrate.CaptureSet {
			t.Fatalf("%+v, %v", res, err)
		}
		if w.fake.Calls("createUser") != 1 || w.fake.Calls("resetPassword") != 1 || !w.fake.CheckPassword("race@example.com", capturedPW) {
			t.Errorf("calls %v", w.fake.AllCalls())
		}
	})
}

func userExists(t *testing.T, w *world, email string) bool {
	t.Helper()
	_, err := w.fake.AdminClient().GetUserByLoginID(context.Background(), "email", email)
	if err != nil && !errors.Is(err, adminapi.ErrUserNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestPasswordCaptureSession(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	id := w.fake.AddUser(authgeartest.User{Email: "lands@example.com"})
	c, _ := w.capturer(agmigrate.CaptureConfig{Session: true}, nil)
	r, _ := http.NewRequest("POST", "/login", nil)
	r.Header.Set("User-Agent", "TestBrowser/1.0")
	res, err := c.CaptureRequest(r, "email", "lands@example.com", []byte(capturedPW))
	if err != nil || res.Tokens == nil || res.SessionErr != nil || res.Claims == nil || res.Claims.Subject != id {
		t.Fatalf("%+v, %v", res, err)
	}
	ss := w.fake.Sessions(id)
	if len(ss) != 1 || !adminapi.HasDeviceInfoMarker(ss[0].DeviceInfo) {
		t.Fatalf("sessions %+v", ss)
	}
	if len(w.fake.LoginSessions(id)) != 0 {
		t.Error("capture signed in through the authentication flow")
	}
	rec := httptest.NewRecorder()
	c.Deliver(rec, r, res)
	if len(rec.Result().Cookies()) != 2 || !strings.Contains(rec.Header().Get("Cache-Control"), "no-store") {
		t.Errorf("delivered %v", rec.Header())
	}
}

// A session that cannot be made does not undo the capture: the password
// is set, and SessionErr says why there is no session.
func TestPasswordCaptureSessionFails(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	w.fake.SetCreateSessionEnabled(false)
	w.fake.AddUser(authgeartest.User{Email: "nosession@example.com"})
	c, _ := w.capturer(agmigrate.CaptureConfig{Session: true}, nil)
	res, err := c.CapturePassword(context.Background(), "email", "nosession@example.com", []byte(capturedPW))
	if err != nil || res.Outcome != agmigrate.CaptureSet || res.Tokens != nil ||
		!errors.Is(res.SessionErr, agmigrate.ErrAdminAPI) || !errors.Is(res.SessionErr, adminapi.ErrCreateSessionDisabled) {
		t.Fatalf("%+v, %v", res, err)
	}
	if !w.fake.CheckPassword("nosession@example.com", capturedPW) {
		t.Error("password not set")
	}
	rec := httptest.NewRecorder()
	c.Deliver(rec, httptest.NewRequest("POST", "/login", nil), res)
	if len(rec.Header()) != 0 {
		t.Errorf("delivered %v", rec.Header())
	}
}

func TestPasswordCaptureRefusesEmptyAndLongPasswords(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "sizes@example.com"})
	c, _ := w.capturer(agmigrate.CaptureConfig{}, nil)
	for _, pw := range [][]byte{nil, {}, bytes.Repeat([]byte("x"), agmigrate.MaxCapturePassword+1)} {
		if res, err := c.CapturePassword(context.Background(), "email", "sizes@example.com", pw); res != nil || err == nil {
			t.Errorf("%d bytes: %+v, %v", len(pw), res, err)
		}
	}
	if n := w.fake.Calls("graphql"); n != 0 {
		t.Errorf("%d Admin API calls", n)
	}
}
