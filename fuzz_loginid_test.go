package agmigrate_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// loginIDWorld is a fake Authgear whose users hold login IDs that
// Authgear's folding reaches from look-alikes, and middlewares whose
// legacy tokens carry an email or a username.
type loginIDWorld struct {
	*world
	users    map[string]authgeartest.User // by uuid, as seeded (already in Authgear's normal form)
	email    http.Handler
	username http.Handler
	userLV   *verifier.JWT
	x        *agmigrate.Exchanger
	match    agmigrate.LoginIDMatch
}

func newLoginIDWorld(t testing.TB) *loginIDWorld {
	w := &loginIDWorld{world: newWorld(t, authgeartest.Options{}), users: map[string]authgeartest.User{}}
	for _, u := range []authgeartest.User{
		{Email: "rec1@rec.test"}, {Email: "ff@rec.test"}, {Email: "strasse@rec.test"},
		{Email: "kate@rec.test"}, {Email: "i\u0307stanbul@rec.test"}, {Email: "ss@rec.test"},
		{Username: "alice"}, {Username: "kelvin"}, {Username: "ss"},
	} {
		id := w.fake.AddUser(u)
		u.ID = id
		w.users[id] = u
	}
	cfg := w.config()
	cfg.LegacyToken = agmigrate.HeaderExtractor{Name: "X-Legacy", Scheme: ""}
	cfg.Delivery = agmigrate.Headers{}
	cfg.Retries = -1
	m := w.middleware(cfg)
	w.email, w.x, w.match = m.Handler(app), m.Exchanger(), cfg.LoginIDMatch

	lc := verifier.HS256(legacySecret, "https://legacy.example.com", "web")
	lc.Now = w.clock.Now
	lc.LoginID = verifier.LoginID{Key: "username", Claim: "preferred_username"}
	lv, err := verifier.NewJWT(context.Background(), lc)
	if err != nil {
		t.Fatal(err)
	}
	ucfg := cfg
	ucfg.Legacy = lv
	w.username, w.userLV = w.middleware(ucfg).Handler(app), lv
	return w
}

// sessions counts the sessions of every seeded user.
func (w *loginIDWorld) sessions() map[string]int {
	out := map[string]int{}
	for id := range w.users {
		out[id] = w.fake.SessionCount(id)
	}
	return out
}

// check fails when a user got a session although its stored login ID is
// not verified under the policy.
func (w *loginIDWorld) check(t *testing.T, how, key, verified string, before map[string]int) {
	t.Helper()
	for id, n := range w.sessions() {
		if n == before[id] {
			continue
		}
		u := w.users[id]
		stored := u.Email
		if key == "username" {
			stored = u.Username
		}
		if !w.match.Match(key, verified, stored) {
			t.Fatalf("%s: %s %q got a session of the user holding %q", how, key, verified, stored)
		}
	}
}

// run sends loginID through verify → exchange (the middleware), then
// straight to the exchanger (so the exchange check is exercised even for
// values the verifier refuses).
func (w *loginIDWorld) run(t *testing.T, username bool, loginID string) {
	key, claim, h, lv := "email", "email", w.email, verifier.Legacy(w.legacy)
	if username {
		key, claim, h, lv = "username", "preferred_username", w.username, w.userLV
	}
	before := w.sessions()
	tok := w.verifiedToken(map[string]any{claim: loginID})
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Legacy", tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 200 && rec.Code != 401 {
		t.Fatalf("status %d", rec.Code)
	}
	if id, err := lv.VerifyLegacy(context.Background(), tok); err == nil {
		w.check(t, "middleware", key, id.LoginID, before)
	} else {
		w.check(t, "middleware (token refused)", key, "", before)
	}

	before = w.sessions()
	id := &verifier.LegacyIdentity{LoginID: loginID, LoginIDKey: key, Subject: "fuzz"}
	_, _ = w.x.Exchange(context.Background(), "direct:"+key+":"+loginID, id, nil)
	w.check(t, "exchanger", key, loginID, before)
}

// The attack cases, each against a user Authgear folds it onto.
var loginIDAttacks = []struct {
	username bool
	loginID  string
}{
	{false, "\uff52ec1@rec.test"},     // fullwidth r in the local part
	{false, "rec1@\uff52ec.test"},     // fullwidth r in the domain (another account in Authgear)
	{false, "Stra\u00dfe@rec.test"},   // ß folds to ss
	{false, "\u00df@rec.test"},        // ß alone, vs ss@rec.test
	{false, "\u212Aate@rec.test"},     // Kelvin sign
	{false, "\u0130stanbul@rec.test"}, // İ folds to i + U+0307
	{false, "\ufb00@rec.test"},        // ligature ﬀ
	{false, "rec1\x00@rec.test"},      // NUL
	{false, "rec\u200d1@rec.test"},    // zero-width joiner
	{false, "REC1@rec.test"},          // upper case: the same account
	{false, "rec1@REC.TEST"},          // upper-case domain: the same account
	{true, "\uff41lice"},              // fullwidth a
	{true, "\u212Aelvin"},             // Kelvin sign
	{true, "\u00df"},                  // ß vs ss
	{true, "ALICE"},                   // upper case: the same account
	{true, "ali\u200dce"},             // zero-width joiner
	{true, "alice\x00"},               // NUL
}

// Every attack case, and the genuine ones: no session for a user whose
// login ID differs from the verified one.
func TestLoginIDAttacksGetNoSession(t *testing.T) {
	t.Parallel()
	w := newLoginIDWorld(t)
	for _, a := range loginIDAttacks {
		w.run(t, a.username, a.loginID)
	}
	// The genuine variants did get their sessions (the check is not
	// simply refusing everything).
	for id, n := range w.sessions() {
		u := w.users[id]
		if (u.Email == "rec1@rec.test" || u.Username == "alice") && n == 0 {
			t.Errorf("%s%s: no session for its own login ID in upper case", u.Email, u.Username)
		}
	}
}

// FuzzLoginIDExchange feeds arbitrary login IDs through verify → exchange
// on the fake: a session is only ever created for a user whose stored
// login ID equals the verified one under the policy.
func FuzzLoginIDExchange(f *testing.F) {
	w := newLoginIDWorld(f)
	for _, a := range loginIDAttacks {
		f.Add(a.username, a.loginID)
	}
	f.Fuzz(func(t *testing.T, username bool, loginID string) {
		w.run(t, username, loginID)
	})
}
