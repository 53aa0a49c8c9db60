package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/examples/internal/agenv"
	"github.com/agmigrate/agmigrate/verifier"
)

// legacySecret is the demo legacy system's HMAC key.
var legacySecret = []byte("demo legacy system secret, 32+ bytes long")

type world struct {
	out      io.Writer
	fake     *authgeartest.Server // nil against a real Authgear
	endpoint string
	users    []string // login IDs that exist in Authgear
	legacy   *httptest.Server
	app      *httptest.Server
	ag       *verifier.Authgear
	outcomes sync.Map // agmigrate.Outcome → *atomic.Int64
}

// observed counts one outcome; the library may add outcomes, so the
// counters are made as they are seen.
func (w *world) observed(o agmigrate.Outcome) {
	c, _ := w.outcomes.LoadOrStore(o, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

// seen is how many times an outcome was observed.
func (w *world) seen(o agmigrate.Outcome) int64 {
	if c, ok := w.outcomes.Load(o); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

// options are what the demo takes from its surroundings.
type options struct {
	serve bool
	// env reads the environment (os.Getenv).
	env func(string) string
}

func newWorld(ctx context.Context, out io.Writer, opts options) (*world, error) {
	w := &world{out: out}
	admin, clientID, err := w.authgear(opts)
	if err != nil {
		return nil, err
	}
	if w.ag, err = verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: w.endpoint}); err != nil {
		return nil, err
	}
	legacyV, err := verifier.NewJWT(ctx, verifier.HS256(legacySecret, "https://legacy.example.com", "demo-app"))
	if err != nil {
		return nil, err
	}
	mw, err := agmigrate.New(agmigrate.Config{
		Authgear: w.ag, Legacy: legacyV, Admin: admin, ClientID: clientID,
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"},
		// The demo serves plain HTTP on localhost; never do this in production.
		Delivery: agmigrate.Cookies{InsecureAllowHTTP: true},
		Observer: agmigrate.ObserverFunc(func(_ *http.Request, e agmigrate.Event) { w.observed(e.Outcome) }),
		// Say why a request was served as legacy (an Admin API error, a
		// user missing from Authgear) instead of failing in silence.
		Logger: slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/me", mw.Handler(http.HandlerFunc(me)))
	mux.Handle("POST /migrate", mw.MigrationEndpoint())
	w.app = httptest.NewServer(mux)
	w.legacy = httptest.NewServer(http.HandlerFunc(legacyLogin))
	return w, nil
}

// authgear connects to a real project from the AUTHGEAR_* variables (the
// ones agmigrate reads), or starts the fake and says why.
func (w *world) authgear(opts options) (*adminapi.Client, string, error) {
	s, ok, why, err := agenv.Read(opts.env)
	if err != nil {
		return nil, "", err
	}
	if ok {
		admin, err := s.Admin(nil)
		if err != nil {
			return nil, "", err
		}
		w.endpoint = s.Endpoint
		w.users = strings.Fields(opts.env("DEMO_LOGIN_IDS"))
		if len(w.users) < 2 {
			w.users = []string{"alice@example.com", "bob@example.com"}
		}
		fmt.Fprintf(w.out, "Using the real Authgear project at %s.\n", s.Describe())
		return admin, s.ClientID, nil
	}
	w.fake = authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	w.users = []string{"alice@example.com", "bob@example.com", "carol@example.com"}
	for _, u := range w.users {
		w.fake.AddUser(authgeartest.User{Email: u})
	}
	w.endpoint = w.fake.URL
	fmt.Fprintf(w.out, "Using a fake Authgear: %s.\nFake Authgear at %s with users %s (dave@example.com was never imported).\n",
		why, w.fake.URL, strings.Join(w.users, ", "))
	return w.fake.AdminClient(), "test-client", nil
}

func (w *world) close() {
	w.app.Close()
	w.legacy.Close()
	w.ag.Close()
	if w.fake != nil {
		w.fake.Close()
	}
}

// me is the app's protected handler.
func me(rw http.ResponseWriter, r *http.Request) {
	id := agmigrate.IdentityFrom(r.Context())
	if !id.Authenticated() {
		http.Error(rw, `{"error":"sign in first"}`, http.StatusUnauthorized)
		return
	}
	resp := map[string]string{"source": id.Source.String(), "authgear_user": id.UserID}
	if id.Legacy != nil {
		resp["legacy_login_id"] = id.Legacy.LoginID
	}
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(resp)
}

// legacyLogin is the legacy system: POST /login with email=… sets the
// legacy session cookie and answers the token as JSON (for mobile apps).
// It checks no password: it stands for whatever system a team runs today.
func legacyLogin(rw http.ResponseWriter, r *http.Request) {
	email := r.FormValue("email")
	if r.Method != http.MethodPost || email == "" {
		http.Error(rw, "POST email=…", http.StatusBadRequest)
		return
	}
	tok := legacyToken(email)
	http.SetCookie(rw, &http.Cookie{Name: "legacy_session", Value: tok, Path: "/", HttpOnly: true})
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(map[string]string{"legacy_token": tok})
}

var seq atomic.Int64

func legacyToken(email string) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	now := time.Now().Unix()
	in := enc(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": "https://legacy.example.com", "aud": "demo-app", "sub": fmt.Sprint("legacy-user-", seq.Add(1)),
		"email": email, "email_verified": true, "iat": now, "exp": now + 3600})
	m := hmac.New(sha256.New, legacySecret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// calls is how many Admin API calls the fake has answered; -1 against a
// real Authgear.
func (w *world) calls(name string) int {
	if w.fake == nil {
		return -1
	}
	return w.fake.Calls(name)
}

var errStep = errors.New("step did not behave as expected")
