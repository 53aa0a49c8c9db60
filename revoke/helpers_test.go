package revoke_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/revoke"
	"github.com/agmigrate/agmigrate/verifier"
	"golang.org/x/crypto/bcrypt"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

const safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"

var legacySecret = []byte("a home-grown system's HMAC secret, 32+ bytes")

// world: a fake Authgear and a middleware whose Store keeps the session
// ledger. Every user signed in at Authgear themselves (a login session
// and an SDK refresh-token session); some were migrated by the middleware,
// one twice. Then every refresh-token session was refreshed with a
// browser's User-Agent, as the middleware and the SDKs do within half an
// hour: nothing Authgear shows tells a migrated session from the user's
// own any more.
type world struct {
	fake     *authgeartest.Server
	admin    *adminapi.Client
	store    *agmigrate.MemoryStore
	mw       *agmigrate.Middleware
	h        http.Handler
	users    []string        // uuids, a b c d
	migrated map[string]bool // session uuid → created by agmigrate
	logins   int             // the users' login sessions
	seq      int
}

var emails = []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"}

// newWorld builds the world; edit changes the middleware's config.
func newWorld(t *testing.T, edit func(*agmigrate.Config)) *world {
	t.Helper()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	w := &world{fake: fake, admin: fake.AdminClient(), store: agmigrate.NewMemoryStore(0), migrated: map[string]bool{}}
	ag, err := verifier.NewAuthgear(ctx(t), verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ag.Close)
	legacy, err := verifier.NewJWT(ctx(t), verifier.HS256(legacySecret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := agmigrate.Config{Authgear: ag, Legacy: legacy, Admin: w.admin, ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"}, Store: w.store,
		Delivery: agmigrate.Cookies{InsecureAllowHTTP: true}}
	if edit != nil {
		edit(&cfg)
	}
	if w.mw, err = agmigrate.New(cfg); err != nil {
		t.Fatal(err)
	}
	w.h = w.mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	hash, _ := bcrypt.GenerateFromPassword([]byte("their own password"), bcrypt.MinCost)
	for i, email := range emails {
		id := fake.AddUser(authgeartest.User{Email: email, PasswordHash: string(hash), CreatedAt: time.Now().Add(time.Duration(i-10) * time.Minute)})
		w.users = append(w.users, id)
		w.signIn(t, email)
		w.logins++
		own, err := fake.CreateSession(id, "test-client", map[string]any{"ios": map[string]any{"uname": map[string]any{"machine": "iPhone15,2"}}})
		if err != nil {
			t.Fatal(err)
		}
		w.migrated[own.SessionID] = false
		refreshWithUA(t, fake.URL, own.RefreshToken, safari)
	}
	for _, email := range []string{"a@example.com", "b@example.com", "b@example.com", "c@example.com"} {
		w.exchange(t, email, true)
	}
	return w
}

// signIn logs the user in at Authgear through the authentication flow
// API: a login session (type IDP) agmigrate never made.
func (w *world) signIn(t *testing.T, email string) {
	t.Helper()
	post := func(path, body string) map[string]any {
		resp, err := http.Post(w.fake.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Result map[string]any `json:"result"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("authentication flow %s: %d, %v", path, resp.StatusCode, err)
		}
		return out.Result
	}
	r := post("/api/v1/authentication_flows", `{"type":"login"}`)
	r = post("/api/v1/authentication_flows/states/input", fmt.Sprintf(`{"state_token":%q,"input":{"identification":"email","login_id":%q}}`, r["state_token"], email))
	post("/api/v1/authentication_flows/states/input", fmt.Sprintf(`{"state_token":%q,"input":{"authentication":"primary_password","password":"their own password"}}`, r["state_token"]))
}

// exchange sends a new legacy session of email through the middleware,
// which creates an Authgear session; refreshed, it loses the User-Agent
// marker. It returns the session's uuid.
func (w *world) exchange(t *testing.T, email string, refreshed bool) string {
	t.Helper()
	w.seq++
	claims, _ := json.Marshal(map[string]any{"iss": "https://legacy.example.com", "aud": "web", "email": email,
		"email_verified": true, "exp": 1 << 40, "jti": fmt.Sprint("legacy-", w.seq)})
	in := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(claims)
	m := hmac.New(sha256.New, legacySecret)
	m.Write([]byte(in))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("User-Agent", safari)
	r.AddCookie(&http.Cookie{Name: "legacy_session", Value: in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))})
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, r)
	var rt string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "ag_refresh" {
			rt = c.Value
		}
	}
	id, _, ok := strings.Cut(rt, ".")
	if !ok {
		t.Fatalf("exchange of %s: %d, no refresh cookie", email, rec.Code)
	}
	w.migrated[id] = true
	if refreshed {
		refreshWithUA(t, w.fake.URL, rt, safari)
	}
	return id
}

// preLedger creates a session as an agmigrate from before the ledger did:
// through the Admin API client (its User-Agent the marker), not recorded.
func (w *world) preLedger(t *testing.T, user string) (id, refreshToken string) {
	t.Helper()
	s, err := w.admin.CreateSession(ctx(t), adminapi.UserNodeID(user), "test-client", adminapi.MarkDeviceInfo(nil))
	if err != nil {
		t.Fatal(err)
	}
	id, _, _ = strings.Cut(s.RefreshToken, ".")
	w.migrated[id] = true
	return id, s.RefreshToken
}

// check: the fake holds wantMigrated sessions agmigrate created, and every
// session of the users' own: their refresh-token sessions and their
// login sessions.
func (w *world) check(t *testing.T, wantMigrated int) {
	t.Helper()
	migrated, own := 0, 0
	for _, s := range w.fake.Sessions("") {
		m, known := w.migrated[s.ID]
		if !known {
			t.Errorf("session %s is unknown to the test", s.ID)
		}
		if m {
			migrated++
		} else {
			own++
		}
	}
	wantOwn := 0
	for _, m := range w.migrated {
		if !m {
			wantOwn++
		}
	}
	logins := 0
	for _, u := range w.users {
		logins += len(w.fake.LoginSessions(u))
	}
	if migrated != wantMigrated || own != wantOwn || logins != w.logins {
		t.Errorf("%d migrated sessions (want %d); own: %d refresh-token sessions (want all %d), %d login sessions (want %d)",
			migrated, wantMigrated, own, wantOwn, logins, w.logins)
	}
}

// markedNow counts the sessions the Admin API shows with the User-Agent
// marker.
func (w *world) markedNow(t *testing.T) int {
	t.Helper()
	n := 0
	for _, u := range w.users {
		ss, err := w.admin.ListSessions(ctx(t), adminapi.UserNodeID(u))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ss {
			if revoke.IsMigrated(s, "") {
				n++
			}
		}
	}
	return n
}

// refreshWithUA refreshes a session at the fake's token endpoint the way a
// browser-facing refresh does: with a User-Agent and no x_device_info.
func refreshWithUA(t *testing.T, base, refreshToken, ua string) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"test-client"}, "refresh_token": {refreshToken}}
	req, err := http.NewRequest(http.MethodPost, base+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d", resp.StatusCode)
	}
}
