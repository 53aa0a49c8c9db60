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
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
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
	outcomes map[agmigrate.Outcome]*atomic.Int64
}

func newWorld(ctx context.Context, out io.Writer) (*world, error) {
	w := &world{out: out, outcomes: map[agmigrate.Outcome]*atomic.Int64{}}
	for o := agmigrate.OutcomeAnonymous; o <= agmigrate.OutcomeRefused; o++ {
		w.outcomes[o] = new(atomic.Int64)
	}
	admin, clientID, err := w.authgear()
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
		Observer: agmigrate.ObserverFunc(func(_ *http.Request, e agmigrate.Event) { w.outcomes[e.Outcome].Add(1) }),
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

// authgear starts the fake, or connects to a real project from the
// environment.
func (w *world) authgear() (*adminapi.Client, string, error) {
	if ep := os.Getenv("AUTHGEAR_ENDPOINT"); ep != "" {
		key, err := adminapi.LoadKeyFile(os.Getenv("AUTHGEAR_ADMIN_KEY_FILE"), os.Getenv("AUTHGEAR_ADMIN_KEY_ID"))
		if err != nil {
			return nil, "", err
		}
		admin, err := adminapi.New(adminapi.Config{Endpoint: ep, ProjectID: os.Getenv("AUTHGEAR_PROJECT_ID"), Key: key})
		if err != nil {
			return nil, "", err
		}
		w.endpoint = strings.TrimRight(ep, "/")
		w.users = strings.Fields(os.Getenv("DEMO_LOGIN_IDS"))
		if len(w.users) < 2 {
			w.users = []string{"alice@example.com", "bob@example.com"}
		}
		fmt.Fprintf(w.out, "Using the real Authgear project at %s.\n", ep)
		return admin, os.Getenv("AUTHGEAR_CLIENT_ID"), nil
	}
	w.fake = authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	w.users = []string{"alice@example.com", "bob@example.com", "carol@example.com"}
	for _, u := range w.users {
		w.fake.AddUser(authgeartest.User{Email: u})
	}
	w.endpoint = w.fake.URL
	fmt.Fprintf(w.out, "Fake Authgear at %s with users %s (dave@example.com was never imported).\n",
		w.fake.URL, strings.Join(w.users, ", "))
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
