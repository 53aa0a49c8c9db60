package agmigrate_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// clock is the one clock of a test: the fake, the verifiers and the
// middleware read it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

var legacySecret = []byte("legacy-hmac-secret-0123456789abcdef")

// world is a fake Authgear, a legacy HS256 system, and a middleware.
type world struct {
	t      testing.TB
	clock  *clock
	fake   *authgeartest.Server
	ag     *verifier.Authgear
	legacy *verifier.JWT
	events *events
	seq    int
	mu     sync.Mutex
}

func newWorld(t testing.TB, opts authgeartest.Options) *world {
	t.Helper()
	c := &clock{now: time.Now()}
	opts.Now = c.Now
	opts.EnableCreateSession = true
	fake := authgeartest.New(t, opts)
	ag, err := verifier.NewAuthgear(context.Background(), verifier.AuthgearConfig{Endpoint: fake.URL, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ag.Close)
	cfg := verifier.HS256(legacySecret, "https://legacy.example.com", "web")
	cfg.Now = c.Now
	lv, err := verifier.NewJWT(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, clock: c, fake: fake, ag: ag, legacy: lv, events: &events{}}
}

// config is a middleware config on this world, legacy session in a cookie.
func (w *world) config() agmigrate.Config {
	return agmigrate.Config{
		Authgear: w.ag, Legacy: w.legacy, Admin: w.fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"},
		Delivery:    agmigrate.Cookies{InsecureAllowHTTP: true},
		Observer:    w.events, Now: w.clock.Now,
	}
}

func (w *world) middleware(cfg agmigrate.Config) *agmigrate.Middleware {
	w.t.Helper()
	m, err := agmigrate.New(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

// legacyToken issues a legacy session for email; each call makes a new one.
func (w *world) legacyToken(email string) string {
	w.mu.Lock()
	w.seq++
	n := w.seq
	w.mu.Unlock()
	now := w.clock.Now().Unix()
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := enc(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": "https://legacy.example.com", "aud": "web", "sub": fmt.Sprint(n), "email": email, "email_verified": true,
		"iat": now, "exp": now + 7*24*3600, "jti": fmt.Sprint("legacy-", n)})
	mac := hmac.New(sha256.New, legacySecret)
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// app answers with the identity it was given.
var app = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id := agmigrate.IdentityFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"user": id.UserID, "source": id.Source.String()})
})

type served struct {
	status  int
	user    string
	source  string
	cookies map[string]*http.Cookie
	header  http.Header
	body    string
}

func serve(h http.Handler, r *http.Request) served {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	res := rec.Result()
	s := served{status: res.StatusCode, cookies: map[string]*http.Cookie{}, header: res.Header, body: rec.Body.String()}
	for _, c := range res.Cookies() {
		s.cookies[c.Name] = c
	}
	var out map[string]string
	if json.Unmarshal(rec.Body.Bytes(), &out) == nil {
		s.user, s.source = out["user"], out["source"]
	}
	return s
}

func withLegacyCookie(tok string) *http.Request {
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "legacy_session", Value: tok})
	return r
}

// events collects what the observer is told.
type events struct {
	mu sync.Mutex
	l  []agmigrate.Event
}

func (e *events) Observe(_ *http.Request, ev agmigrate.Event) {
	e.mu.Lock()
	e.l = append(e.l, ev)
	e.mu.Unlock()
}

func (e *events) count(o agmigrate.Outcome) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.l {
		if ev.Outcome == o {
			n++
		}
	}
	return n
}

// signHS256 makes an HS256 JWT.
func signHS256(secret []byte, claims map[string]any) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := enc(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + enc(claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}
