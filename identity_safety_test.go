package agmigrate_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/internal/reference"
	"github.com/agmigrate/agmigrate/verifier"
)

// verifiedToken is a legacy token whose email is marked verified, so it
// passes whatever the verifier requires of emails.
func (w *world) verifiedToken(claims map[string]any) string {
	w.mu.Lock()
	w.seq++
	n := w.seq
	w.mu.Unlock()
	now := w.clock.Now().Unix()
	base := map[string]any{"iss": "https://legacy.example.com", "aud": "web", "sub": "s" + itoa(n),
		"iat": now, "exp": now + 7*24*3600, "jti": "verified-" + itoa(n), "email_verified": true}
	for k, v := range claims {
		base[k] = v
	}
	return signHS256(legacySecret, base)
}

// An identity whose login ID Authgear folds onto another user's gets no
// session: the exchange compares what Authgear holds with what was verified.
// The legacy identity is handed to the exchanger directly, so the check is
// tested whatever the verifier refuses on its own.
func TestExchangeRefusesFoldedLoginID(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	kate := w.fake.AddUser(authgeartest.User{Email: "kate@example.com"})
	bob := w.fake.AddUser(authgeartest.User{Username: "bob"})
	m := w.middleware(w.config())
	for _, tc := range []struct{ key, loginID string }{
		{"email", "\u212Aate@example.com"}, // KELVIN SIGN folds to k
		{"username", "\u212Aob"},           // not Bob's, but must not be anybody's
		{"username", "BOB\u212A"},
	} {
		id := &verifier.LegacyIdentity{LoginID: tc.loginID, LoginIDKey: tc.key, Subject: "legacy-1"}
		res, err := m.Exchanger().Exchange(context.Background(), "legacy-token-"+tc.loginID, id, nil)
		if err == nil {
			t.Errorf("%q: exchanged for user %s", tc.loginID, res.UserID)
		}
	}
	if n := w.fake.SessionCount(kate) + w.fake.SessionCount(bob); n != 0 {
		t.Fatalf("%d sessions created for a folded login ID", n)
	}
}

// The same through the middleware: the request is served as the legacy
// user, nothing is created in Authgear, and the refusal is remembered.
func TestMiddlewareRefusesFoldedLoginID(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	kate := w.fake.AddUser(authgeartest.User{Email: "kate@example.com"})
	h := w.middleware(w.config()).Handler(app)
	tok := w.verifiedToken(map[string]any{"email": "\u212Aate@example.com"})
	for i := 0; i < 2; i++ {
		s := serve(h, withLegacyCookie(tok))
		if s.user == kate || s.source == "exchanged" {
			t.Fatalf("request %d served as Kate: %+v", i, s)
		}
	}
	if n := w.fake.SessionCount(kate); n != 0 {
		t.Fatalf("Kate has %d sessions", n)
	}
}

// recordedAdmin answers getUserByLoginID with a recorded response of the
// real server and counts every other operation, which it refuses.
func recordedAdmin(t *testing.T, file string) (*httptest.Server, *int) {
	t.Helper()
	raw, err := os.ReadFile(reference.Require(t, "authgear-responses/"+file))
	if err != nil {
		t.Fatal(err)
	}
	var rc struct {
		Response struct {
			Body json.RawMessage `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(raw, &rc); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	others := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(string(body), "getUserByLoginID") {
			_, _ = w.Write(rc.Response.Body)
			return
		}
		mu.Lock()
		*others++
		mu.Unlock()
		_, _ = w.Write([]byte(`{"data":null,"errors":[{"message":"not recorded"}]}`))
	}))
	t.Cleanup(srv.Close)
	return srv, others
}

// Recorded cases 099-103: the real server answers a lookup with a user
// whose stored login ID differs from the value sent. Only the ASCII case
// variant (099, 100) is the same identity under the default policy.
func TestRecordedNormalisedLookups(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	for _, tc := range []struct {
		file, loginID string
		same          bool
	}{
		{"099-getuser-norm-upper-local.json", "REC1@rec.test", true},
		{"100-getuser-norm-upper-domain.json", "rec1@REC.TEST", true},
		{"101-getuser-norm-fullwidth-local.json", "\uff52ec1@rec.test", false},
		{"103-getuser-norm-ligature-ff.json", "\ufb00@rec.test", false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			srv, others := recordedAdmin(t, tc.file)
			admin, err := adminapi.New(adminapi.Config{Endpoint: srv.URL, ProjectID: "myapp", Key: w.fake.AdminKey()})
			if err != nil {
				t.Fatal(err)
			}
			cfg := w.config()
			cfg.Admin = admin
			cfg.Retries = -1
			m := w.middleware(cfg)
			id := &verifier.LegacyIdentity{LoginID: tc.loginID, LoginIDKey: "email", Subject: "legacy"}
			_, err = m.Exchanger().Exchange(context.Background(), "tok-"+tc.file, id, nil)
			if tc.same && *others != 1 {
				t.Errorf("createSession calls %d, want 1 (err %v)", *others, err)
			}
			if !tc.same && (*others != 0 || err == nil) {
				t.Errorf("createSession calls %d (err %v): the stored login ID differs from the verified one", *others, err)
			}
		})
	}
}

// The migration endpoint compares a claimed login ID without Unicode case
// folding: the Kelvin sign is not k.
func TestMigrationEndpointClaimNoUnicodeFolding(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	kate := w.fake.AddUser(authgeartest.User{Email: "kate@example.com"})
	cfg := w.config()
	cfg.LegacyToken = agmigrate.HeaderExtractor{Name: "Authorization", Scheme: "Bearer"}
	ep := w.middleware(cfg).MigrationEndpoint()
	for _, tc := range []struct {
		claim string
		want  int
	}{
		{"\u212Aate@example.com", 403},
		{"kate@EXAMPLE.com", 200},
		{"KATE@example.com", 200},
	} {
		tok := w.verifiedToken(map[string]any{"email": "kate@example.com"})
		r := httptest.NewRequest("POST", "/migrate", strings.NewReader(`{"login_id":"`+tc.claim+`"}`))
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		ep.ServeHTTP(rec, r)
		if rec.Code != tc.want {
			t.Errorf("claim %q: %d %s, want %d", tc.claim, rec.Code, rec.Body.String(), tc.want)
		}
	}
	if n := w.fake.SessionCount(kate); n != 2 {
		t.Errorf("Kate has %d sessions, want 2 (the two genuine claims)", n)
	}
}

// Two middlewares for two Authgear projects share one store: each gets its
// own project's session for the same legacy token, never the other's.
func TestStoreBoundToProjectAndClient(t *testing.T) {
	t.Parallel()
	shared := agmigrate.NewMemoryStore(0)
	a := newWorld(t, authgeartest.Options{})
	b := newWorld(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "test-client"}, {ID: "other-client"}}})
	userA := a.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	userB := b.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	b.clock = a.clock // one clock, so one legacy token verifies for both
	tok := a.verifiedToken(map[string]any{"email": "alice@example.com"})

	mk := func(w *world, clientID string) http.Handler {
		cfg := w.config()
		cfg.Store, cfg.ClientID = shared, clientID
		return w.middleware(cfg).Handler(app)
	}
	if s := serve(mk(a, "test-client"), withLegacyCookie(tok)); s.user != userA || s.source != "exchanged" {
		t.Fatalf("project A: %+v", s)
	}
	if s := serve(mk(b, "test-client"), withLegacyCookie(tok)); s.user != userB || s.source != "exchanged" {
		t.Fatalf("project B got %q (A's user is %s): %+v", s.user, userA, s)
	}
	if s := serve(mk(b, "other-client"), withLegacyCookie(tok)); s.user != userB || s.source != "exchanged" {
		t.Fatalf("project B, other client: %+v", s)
	}
	if n := b.fake.SessionCount(userB); n != 2 {
		t.Errorf("project B's user has %d sessions, want one per client", n)
	}
	for _, s := range b.fake.Sessions(userB) {
		_ = s
	}
	if n := a.fake.SessionCount(userA); n != 1 {
		t.Errorf("project A's user has %d sessions", n)
	}
}

// An Authgear access token of another client of the project is not a
// session of this app, JWT or opaque; listed clients are accepted.
func TestAuthgearTokenOfOtherClientRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{Clients: []authgeartest.Client{
		{ID: "test-client"}, {ID: "other-client"}, {ID: "mobile-client"}, {ID: "opaque-client", OpaqueAccessTokens: true}}})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	admin := w.fake.AdminClient()
	ctx := context.Background()
	tokenFor := func(client string) string {
		u, err := admin.GetUserByLoginID(ctx, "email", "alice@example.com")
		if err != nil {
			t.Fatal(err)
		}
		s, err := admin.CreateSession(ctx, u.NodeID, client, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s.AccessToken
	}
	opaqueAG, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: w.fake.URL, Now: w.clock.Now, OpaqueTokens: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(opaqueAG.Close)
	cfg := w.config()
	cfg.Authgear = opaqueAG
	cfg.AcceptClientIDs = []string{"mobile-client"}
	h := w.middleware(cfg).Handler(app)
	for _, tc := range []struct {
		client string
		ok     bool
	}{
		{"test-client", true},
		{"mobile-client", true},
		{"other-client", false},
		{"opaque-client", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tokenFor(tc.client))
		s := serve(h, r)
		if got := s.source == "authgear" && s.user == alice; got != tc.ok {
			t.Errorf("token of %s: status %d source %q, accepted %v, want %v", tc.client, s.status, s.source, got, tc.ok)
		}
		if !tc.ok && s.status != 401 {
			t.Errorf("token of %s: status %d, want 401", tc.client, s.status)
		}
	}
}

var _ = errors.Is

// An opaque token names no client: it becomes a session only when the
// verifier was told to take opaque tokens of any client (its Unsafe
// opt-in), and a verifier restricted to other clients is refused at New.
func TestOpaqueTokensNeedVerifierOptIn(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "test-client"}, {ID: "opaque-client", OpaqueAccessTokens: true}}})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	ctx := context.Background()
	admin := w.fake.AdminClient()
	u, err := admin.GetUserByLoginID(ctx, "email", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	s, err := admin.CreateSession(ctx, u.NodeID, "opaque-client", nil)
	if err != nil {
		t.Fatal(err)
	}
	unsafeAG, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: w.fake.URL, Now: w.clock.Now, OpaqueTokens: true,
		ClientIDs: []string{"test-client", "opaque-client"}, UnsafeOpaqueTokensAnyClient: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unsafeAG.Close)
	cfg := w.config()
	cfg.Authgear = unsafeAG
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+s.AccessToken)
	if got := serve(w.middleware(cfg).Handler(app), r); got.source != "authgear" {
		t.Errorf("opaque token with the verifier's opt-in: %+v", got)
	}

	other, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: w.fake.URL, Now: w.clock.Now, ClientIDs: []string{"opaque-client"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	cfg.Authgear = other
	if _, err := agmigrate.New(cfg); !errors.Is(err, agmigrate.ErrConfig) {
		t.Errorf("a verifier that refuses ClientID's tokens: %v", err)
	}
}

// http:// to a host that is not loopback is refused for the verifier's
// issuer and the Admin API endpoint, unless InsecureHTTP says so.
func TestPlainHTTPAuthgearRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	// A stand-in for an Authgear at http://auth.example.com: every request
	// goes to it, whatever host it names.
	jwks, err := json.Marshal(w.fake.PublicKeys())
	if err != nil {
		t.Fatal(err)
	}
	stand := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/.well-known/openid-configuration" {
			_, _ = rw.Write([]byte(`{"issuer":"http://auth.example.com","jwks_uri":"http://auth.example.com/oauth2/jwks"}`))
			return
		}
		_, _ = rw.Write(jwks)
	}))
	t.Cleanup(stand.Close)
	fakeAddr := strings.TrimPrefix(stand.URL, "http://")
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, fakeAddr)
	}
	hc := &http.Client{Transport: tr}
	remote, err := verifier.NewAuthgear(context.Background(), verifier.AuthgearConfig{Endpoint: "http://auth.example.com",
		HTTPClient: hc, InsecureAllowHTTP: true, Now: w.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(remote.Close)
	remoteAdmin, err := adminapi.New(adminapi.Config{Endpoint: "http://auth.example.com", ProjectID: "myapp", Key: w.fake.AdminKey(),
		HTTPClient: hc, InsecureHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		ag    *verifier.Authgear
		admin *adminapi.Client
	}{"issuer": {remote, w.fake.AdminClient()}, "admin": {w.ag, remoteAdmin}} {
		cfg := w.config()
		cfg.Authgear, cfg.Admin = tc.ag, tc.admin
		if _, err := agmigrate.New(cfg); !errors.Is(err, agmigrate.ErrConfig) {
			t.Errorf("%s over plain HTTP: %v", name, err)
		}
		cfg.InsecureHTTP = true
		if _, err := agmigrate.New(cfg); err != nil {
			t.Errorf("%s with InsecureHTTP: %v", name, err)
		}
	}
}

// The refresh results a middleware keeps are bound to its project too: a
// refresh token of project A presented to project B's middleware is
// checked with B's Authgear, never answered from A's stored refresh.
func TestRefreshEntriesBoundToProject(t *testing.T) {
	t.Parallel()
	shared := agmigrate.NewMemoryStore(0)
	a := newWorld(t, authgeartest.Options{})
	b := newWorld(t, authgeartest.Options{})
	a.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	b.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	mk := func(w *world) http.Handler {
		cfg := w.config()
		cfg.Store = shared
		return w.middleware(cfg).Handler(app)
	}
	ha, hb := mk(a), mk(b)
	first := serve(ha, withLegacyCookie(a.verifiedToken(map[string]any{"email": "alice@example.com"})))
	rt := first.cookies["ag_refresh"]
	if first.source != "exchanged" || rt == nil {
		t.Fatalf("exchange on A: %+v", first)
	}
	a.clock.Advance(31 * time.Minute) // A's access token has expired: A refreshes and keeps the result
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "ag_refresh", Value: rt.Value})
	if s := serve(ha, r); s.source != "authgear" || a.fake.Calls("token") != 1 {
		t.Fatalf("refresh on A: %+v, %d token calls", s, a.fake.Calls("token"))
	}
	r = httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "ag_refresh", Value: rt.Value})
	if s := serve(hb, r); s.source == "authgear" {
		t.Fatalf("B took A's session: %+v", s)
	}
	if n := b.fake.Calls("token"); n != 1 {
		t.Errorf("B made %d token calls: it answered from A's stored refresh instead of asking its own Authgear", n)
	}
}
