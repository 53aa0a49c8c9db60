package agmigrate_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// Attacks through the public API on the promise that a legacy identity
// only ever becomes its own Authgear account (issue 9).

// A legacy cookie named like one of the middleware's own cookies is a
// configuration New refuses, however the delivery is given: left at its
// default (cookies), or cookies inside Both. Otherwise the legacy token is
// read as the Authgear access cookie (and, as it names no Authgear key, the
// request is answered "cannot check now" under FailClosed), and the
// legacy-cookie clearing after an exchange deletes the new session.
func TestAttackLegacyCookieNamedLikeAuthgearCookie(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	for _, tc := range []struct {
		name     string
		delivery agmigrate.Delivery
		legacy   string
	}{
		{"default delivery, access cookie", nil, "__Host-ag_access"},
		{"default delivery, refresh cookie", nil, "__Host-ag_refresh"},
		{"cookies inside Both", agmigrate.Both(agmigrate.Cookies{}, agmigrate.Headers{}), "__Host-ag_access"},
		{"Cookies, renamed", agmigrate.Cookies{AccessName: "__Host-s"}, "__Host-s"},
	} {
		cfg := w.config()
		cfg.Delivery = tc.delivery
		cfg.LegacyToken = agmigrate.CookieExtractor{Name: tc.legacy}
		if _, err := agmigrate.New(cfg); !errors.Is(err, agmigrate.ErrConfig) {
			t.Errorf("%s: legacy cookie %q: New gave %v, want ErrConfig", tc.name, tc.legacy, err)
		}
	}
}

// A user Authgear finds for the login ID but whose standard attributes do
// not hold it (only an identity does, or another address was chosen as
// the standard email) is not proven to be the verified identity: no
// session, the refusal reported, and nothing else asked of Authgear.
func TestAttackUserWithoutHeldLoginID(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	for _, attrs := range []string{
		`{}`,
		`{"email_verified":true}`,
		`{"email":null}`,
		`{"email":["kate@example.com"]}`,
		`{"email":"other@example.com"}`,
		`{"phone_number":"kate@example.com","preferred_username":"kate@example.com"}`,
	} {
		var mu sync.Mutex
		others := 0
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			rw.Header().Set("Content-Type", "application/json")
			if strings.Contains(string(body), "getUserByLoginID") {
				_, _ = io.WriteString(rw, `{"data":{"getUserByLoginID":{"id":"VXNlcjo4YjMxNTA0NS04OTg1LTRmZjgtYmYyNy03MWI0NmY0YzQ0ZDE",`+
					`"isDisabled":false,"isDeactivated":false,"createdAt":"2026-11-28T07:18:22Z","standardAttributes":`+attrs+`}}}`)
				return
			}
			mu.Lock()
			others++
			mu.Unlock()
			_, _ = io.WriteString(rw, `{"data":null,"errors":[{"message":"not expected"}]}`)
		}))
		admin, err := adminapi.New(adminapi.Config{Endpoint: srv.URL, ProjectID: "myapp", Key: w.fake.AdminKey()})
		if err != nil {
			t.Fatal(err)
		}
		cfg := w.config()
		cfg.Admin, cfg.Retries = admin, -1
		m := w.middleware(cfg)
		id := &verifier.LegacyIdentity{LoginID: "kate@example.com", LoginIDKey: "email", Subject: "legacy"}
		res, err := m.Exchanger().Exchange(context.Background(), "tok-"+attrs, id, nil)
		if !errors.Is(err, agmigrate.ErrLoginIDMismatch) {
			t.Errorf("standardAttributes %s: %v, %v; want ErrLoginIDMismatch", attrs, res, err)
		}
		mu.Lock()
		if others != 0 {
			t.Errorf("standardAttributes %s: %d calls after the lookup", attrs, others)
		}
		mu.Unlock()
		srv.Close()
	}
}

// Password capture finds users under the exchange's rules: a look-alike
// login ID, or one that only a case-folding Authgear takes for the user's
// (a careless setup: LoginIDMatch says case-sensitive, authgear.yaml was
// left at its default), never gets a password set on another account.
func TestAttackCaptureLookalikes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	kate := w.fake.AddUser(authgeartest.User{Email: "kate@example.com"})
	bob := w.fake.AddUser(authgeartest.User{Username: "bob"})
	cfg := w.config()
	cfg.LoginIDMatch = agmigrate.LoginIDMatch{EmailCaseSensitive: true, UsernameCaseSensitive: true}
	m := w.middleware(cfg)
	c, err := agmigrate.NewCapturer(m, agmigrate.CaptureConfig{Session: true, Verified: vouchAll})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ key, loginID string }{
		{"email", "\u212Aate@example.com"},    // Kelvin sign
		{"email", "\uff4bate@example.com"},    // fullwidth k
		{"email", "kate@example.com\u200b"},   // zero-width space
		{"email", " kate@example.com"},        // Authgear trims on creation only
		{"email", "KATE@example.com"},         // another account to a case-sensitive legacy system
		{"username", "\uff42ob"},              // fullwidth b
		{"username", "BOB"},                   // likewise
		{"username", "bob\u0000"},             // NUL
		{"email", "kate@example.com\u202e"},   // bidi override
		{"email", "kate@\u0435xample.com"},    // Cyrillic e in the domain: another account, or none
		{"username", "b\u00adob"},             // soft hyphen
		{"email", "kate@EXAMPLE.COM\u0307"},   // combining dot
		{"email", "kate\ufe6b@example.com\n"}, // small commercial at
	} {
		res, err := c.CapturePassword(context.Background(), tc.key, tc.loginID, []byte("a long legacy password"))
		if err == nil {
			t.Errorf("%s %q: captured for %s (%v)", tc.key, tc.loginID, res.UserID, res.Outcome)
		}
	}
	for _, u := range []string{kate, bob} {
		if got, _ := w.fake.User(u); got.PasswordHash != "" || w.fake.SessionCount(u) != 0 {
			t.Errorf("user %s: password set or session made by a look-alike login ID", u)
		}
	}
	// The user's own login ID is captured: the checks above see a change.
	if res, err := c.CapturePassword(context.Background(), "email", "kate@example.com", []byte("a long legacy password")); err != nil ||
		res.Outcome != agmigrate.CaptureSet || w.fake.SessionCount(kate) != 1 {
		t.Errorf("kate's own login ID: %+v, %v", res, err)
	}
	if got, _ := w.fake.User(kate); got.PasswordHash == "" {
		t.Error("kate's own login ID: no password set")
	}
}

// Authgear's own folding options (ignore_dot_sign, case_sensitive) and the
// matching LoginIDMatch, set together or carelessly apart: a legacy
// identity gets its own account or none, never another's.
func TestAttackAuthgearFoldingOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		opts  authgeartest.Options
		match agmigrate.LoginIDMatch
		users []string
		want  map[string]string // verified login ID → email of the user it may become ("" none)
	}{
		{"ignore_dot_sign, default policy", authgeartest.Options{IgnoreDotSign: true}, agmigrate.LoginIDMatch{},
			[]string{"kate@example.com"},
			map[string]string{"k.ate@example.com": "", "kat.e@example.com": "", "kate@example.com": "kate@example.com"}},
		{"case-sensitive both sides", authgeartest.Options{EmailCaseSensitive: true}, agmigrate.LoginIDMatch{EmailCaseSensitive: true},
			[]string{"Ann@example.com", "ann@example.com"},
			map[string]string{"Ann@example.com": "Ann@example.com", "ann@example.com": "ann@example.com", "ANN@example.com": "", "Ann@EXAMPLE.com": "Ann@example.com"}},
		{"case-sensitive policy, Authgear left folding", authgeartest.Options{}, agmigrate.LoginIDMatch{EmailCaseSensitive: true},
			[]string{"ann@example.com"},
			map[string]string{"Ann@example.com": "", "ANN@example.com": "", "ann@example.com": "ann@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.opts)
			byID := map[string]string{}
			for _, e := range tc.users {
				byID[w.fake.AddUser(authgeartest.User{Email: e})] = e
			}
			cfg := w.config()
			cfg.LoginIDMatch, cfg.Retries = tc.match, -1
			m := w.middleware(cfg)
			for verified, want := range tc.want {
				id := &verifier.LegacyIdentity{LoginID: verified, LoginIDKey: "email", Subject: "legacy"}
				res, err := m.Exchanger().Exchange(context.Background(), "tok-"+verified, id, nil)
				got := ""
				if err == nil {
					got = byID[res.UserID]
				}
				if got != want {
					t.Errorf("%q became %q (err %v), want %q", verified, got, err, want)
				}
			}
		})
	}
}

// A stored exchange never outlives the legacy checks: once the legacy
// token is past MaxAge, the middleware answers 401 rather than handing out
// the session it made for the token before (the verifier runs before the
// store is read, and its own cache ends at iat + MaxAge too).
func TestAttackStoredExchangeAfterMaxAge(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	kate := w.fake.AddUser(authgeartest.User{Email: "kate@example.com"})
	lc := verifier.HS256(legacySecret, "https://legacy.example.com", "web")
	lc.Now, lc.MaxAge = w.clock.Now, time.Hour
	lv, err := verifier.NewJWT(context.Background(), lc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := w.config()
	cfg.Legacy = lv
	h := w.middleware(cfg).Handler(app)
	tok := w.legacyToken("kate@example.com") // iat now, exp in a week
	if s := serve(h, withLegacyCookie(tok)); s.user != kate || s.source != "exchanged" {
		t.Fatalf("first request: %+v", s)
	}
	w.clock.Advance(time.Hour + 2*time.Minute) // past MaxAge and its leeway
	s := serve(h, withLegacyCookie(tok))
	if s.status != http.StatusUnauthorized || s.user == kate {
		t.Fatalf("after MaxAge: %+v, want 401", s)
	}
	if n := w.fake.SessionCount(kate); n != 1 {
		t.Fatalf("kate has %d sessions, want 1", n)
	}
}

// A legacy session ID is only a key for the identity it was verified as:
// a legacy system that hands a session ID out again (a session table with
// recycled or sequential IDs, behind LegacyFunc) must not give its next
// user the Authgear account exchanged for the previous one.
func TestAttackRecycledLegacySessionID(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	kate := w.fake.AddUser(authgeartest.User{Email: "kate@example.com"})
	bob := w.fake.AddUser(authgeartest.User{Email: "bob@example.com"})
	var mu sync.Mutex
	sessions := map[string]string{"1001": "kate@example.com"}
	cfg := w.config()
	cfg.Legacy = verifier.LegacyFunc(func(_ context.Context, tok string) (*verifier.LegacyIdentity, error) {
		mu.Lock()
		defer mu.Unlock()
		email, ok := sessions[tok]
		if !ok {
			return nil, verifier.Invalid(verifier.ErrInactive, "no such session")
		}
		return &verifier.LegacyIdentity{LoginID: email, LoginIDKey: "email", Subject: email}, nil
	})
	h := w.middleware(cfg).Handler(app)
	if s := serve(h, withLegacyCookie("1001")); s.user != kate {
		t.Fatalf("kate's request: %+v", s)
	}
	// Kate logs out at the legacy system; the ID goes to Bob's new session.
	mu.Lock()
	sessions["1001"] = "bob@example.com"
	mu.Unlock()
	s := serve(h, withLegacyCookie("1001"))
	if s.user == kate {
		t.Fatalf("bob's request with a recycled session ID served as kate: %+v", s)
	}
	if s.user != bob || w.fake.SessionCount(kate) != 1 || w.fake.SessionCount(bob) != 1 {
		t.Fatalf("bob's request: %+v; sessions kate %d, bob %d", s, w.fake.SessionCount(kate), w.fake.SessionCount(bob))
	}
}
