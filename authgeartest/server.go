package authgeartest

import (
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
)

// Options configures a Server. The zero value is a usable project "myapp"
// with one first-party client "test-client" and createSession disabled.
type Options struct {
	// ProjectID is the project ID, the audience of admin JWTs. Default "myapp".
	ProjectID string
	// Clients are the OAuth clients. Default: one Client{ID: "test-client"}.
	Clients []Client
	// LoginIDKeys are the configured login ID keys. Default: email, phone,
	// username. (A new Authgear project has only email.)
	LoginIDKeys []string
	// EmailCaseSensitive, IgnoreDotSign and UsernameCaseSensitive are
	// identity.login_id.types settings; all false by default, as in
	// Authgear. They change how login IDs are normalised (see
	// internal/loginid).
	EmailCaseSensitive    bool
	IgnoreDotSign         bool
	UsernameCaseSensitive bool
	// Roles and Groups are the role and group keys the project defines;
	// the User Import API refuses others. Roles held by seeded users count
	// as defined.
	Roles  []string
	Groups []string
	// PasswordMinLength is the password policy's minimum length. Default 8,
	// as in Authgear.
	PasswordMinLength int
	// EnableCreateSession turns on admin_api.create_session_enabled.
	// Default false, as in a new Authgear project.
	EnableCreateSession bool
	// Now is the clock for every token and check. Default time.Now.
	Now func() time.Time
	// ImportPendingPolls is how many GETs an import job answers "pending"
	// before it completes. Default 1, as a real job is seldom done at once.
	ImportPendingPolls int
	// TrustProxy makes the fake take the client IP from Forwarded,
	// X-Forwarded-For or X-Real-IP, as Authgear does with TRUST_PROXY=true.
	// Default false: the peer address, as in the recorded setup.
	TrustProxy bool
	// AdminMutationsPerMinute, when positive, limits Admin API mutation
	// fields per minute (a bucket on the fake's clock), for tests of a
	// gateway-imposed limit. Default 0: no limit, as in the recorded
	// server version.
	AdminMutationsPerMinute int
	// AdminMutationBurst is that bucket's size: how many mutations may
	// come at once. Default AdminMutationsPerMinute (a minute's worth).
	AdminMutationBurst int
	// Webhooks configures hook deliveries (see Webhooks); none by default.
	Webhooks Webhooks
	// AdminListener also starts the Admin API on a second server, as
	// self-hosted Authgear runs it (see AdminURL).
	AdminListener bool
	// AdminOnlyOnAdminListener, with AdminListener, makes the public
	// origin answer 404 under /_api/admin/, as a self-hosted Authgear's
	// main listener does when no ingress routes the Admin API to it: a
	// client that ignores the admin URL fails as it would there.
	AdminOnlyOnAdminListener bool
}

// Client is an OAuth client of the fake project.
type Client struct {
	ID string
	// ThirdParty marks a third_party_app client; createSession refuses it.
	ThirdParty bool
	// OpaqueAccessTokens makes the client issue opaque access tokens, as a
	// client without "Issue JWT as access token" does.
	OpaqueAccessTokens bool
	// RotateRefreshTokens issues a new refresh token on every refresh and
	// revokes the old one.
	RotateRefreshTokens bool
	// AccessTokenLifetime defaults to 1800 s; RefreshTokenLifetime to 52 weeks.
	AccessTokenLifetime  time.Duration
	RefreshTokenLifetime time.Duration
}

// Server is a running fake Authgear. Create it with NewServer and Close it
// when done.
type Server struct {
	// URL is the public origin, e.g. "http://127.0.0.1:41234".
	URL string

	main, admin *httptest.Server
	opts        Options
	schema      *schemaHolder

	mu            sync.Mutex
	createSession bool
	clients       map[string]*Client
	users         map[string]*User // by uuid
	order         []string         // user uuids in creation order
	grants        map[string]*grant
	accessTokens  map[string]*accessToken // by token hash
	signingKeys   []*signingKey           // first signs; all are in the JWKS
	adminKeys     []*adminKeyPair
	imports       map[string]*importJob
	faults        map[string]*Fault
	buckets       map[string]*bucket
	flows         map[string]*authFlow
	hookSeq       int
	grantSeq      int
	hookWG        sync.WaitGroup

	cmu   sync.Mutex // guards calls, so counting works under mu too
	calls map[string]int
	times map[string][]time.Time // when each call came (calltimes.go)
}

// NewServer starts a fake Authgear with opts.
func NewServer(opts Options) *Server {
	if opts.ProjectID == "" {
		opts.ProjectID = "myapp"
	}
	if len(opts.Clients) == 0 {
		opts.Clients = []Client{{ID: "test-client"}}
	}
	if len(opts.LoginIDKeys) == 0 {
		opts.LoginIDKeys = []string{"email", "phone", "username"}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ImportPendingPolls == 0 {
		opts.ImportPendingPolls = 1
	}
	s := &Server{
		opts:          opts,
		schema:        loadSchema(),
		createSession: opts.EnableCreateSession,
		clients:       map[string]*Client{},
		users:         map[string]*User{},
		grants:        map[string]*grant{},
		accessTokens:  map[string]*accessToken{},
		imports:       map[string]*importJob{},
		calls:         map[string]int{},
		faults:        map[string]*Fault{},
		buckets:       map[string]*bucket{},
		flows:         map[string]*authFlow{},
	}
	for i := range opts.Clients {
		c := opts.Clients[i]
		if c.AccessTokenLifetime == 0 {
			c.AccessTokenLifetime = 1800 * time.Second
		}
		if c.RefreshTokenLifetime == 0 {
			c.RefreshTokenLifetime = 52 * 7 * 24 * time.Hour
		}
		s.clients[c.ID] = &c
	}
	s.signingKeys = []*signingKey{newSigningKey(sharedKey(0), opts.Now())}
	s.adminKeys = []*adminKeyPair{{kid: "fake-admin-key-1", priv: sharedKey(1)}}

	s.main = httptest.NewServer(http.HandlerFunc(s.serveMain))
	s.URL = s.main.URL
	if opts.AdminListener {
		s.admin = httptest.NewServer(http.HandlerFunc(s.serveAdmin))
	}
	return s
}

// New starts a fake for a test and closes it when the test ends.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s := NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// Close shuts the servers down, after the webhook deliveries in flight.
func (s *Server) Close() {
	s.hookWG.Wait()
	s.main.Close()
	if s.admin != nil {
		s.admin.Close()
	}
}

// Host is the public origin's host:port.
func (s *Server) Host() string { u, _ := url.Parse(s.URL); return u.Host }

// AdminURL is the base URL of the separate admin listener (Options.
// AdminListener), or "" without one. Calls there must carry the public host
// in the Host header, or session tokens get the admin origin in iss/aud,
// as with a real self-hosted Authgear.
func (s *Server) AdminURL() string {
	if s.admin == nil {
		return ""
	}
	return s.admin.URL
}

// ProjectID returns the project ID.
func (s *Server) ProjectID() string { return s.opts.ProjectID }

// AdminKey returns the admin key (private key and key ID) that the Admin
// API accepts.
func (s *Server) AdminKey() *adminapi.AdminKey {
	s.mu.Lock()
	k := s.adminKeys[0]
	s.mu.Unlock()
	ak, err := adminapi.NewAdminKey(k.priv, k.kid)
	if err != nil {
		panic("authgeartest: " + err.Error()) // the fake's own key is always valid
	}
	return ak
}

// AdminKeyPEM returns the admin private key as the portal downloads it
// (PKCS #8 PEM), with its key ID.
func (s *Server) AdminKeyPEM() (pem []byte, keyID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.adminKeys[0]
	return pemPKCS8(k.priv), k.kid
}

// AdminClient returns an adminapi client for this server, reaching the
// Admin API on the public origin (on the admin listener with
// AdminOnlyOnAdminListener).
func (s *Server) AdminClient() *adminapi.Client {
	cfg := adminapi.Config{Endpoint: s.URL, ProjectID: s.opts.ProjectID, Key: s.AdminKey()}
	if s.opts.AdminListener && s.opts.AdminOnlyOnAdminListener {
		cfg.AdminURL = s.AdminURL() // the public origin answers no Admin API call
	}
	c, err := adminapi.New(cfg)
	if err != nil {
		panic("authgeartest: " + err.Error())
	}
	return c
}

// SetCreateSessionEnabled switches the createSession feature flag.
func (s *Server) SetCreateSessionEnabled(on bool) {
	s.mu.Lock()
	s.createSession = on
	s.mu.Unlock()
}

// Calls returns how many times name was called. Names: the GraphQL root
// fields ("getUserByLoginID", "createSession", "node", …), "graphql" (every
// GraphQL request that passed admin auth), "admin.forbidden", "discovery",
// "jwks", "token", "userinfo", "import.create", "import.get".
func (s *Server) Calls(name string) int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.calls[name]
}

// AllCalls returns a copy of every counter.
func (s *Server) AllCalls() map[string]int {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// ResetCalls sets every counter to zero.
func (s *Server) ResetCalls() {
	s.cmu.Lock()
	s.calls = map[string]int{}
	s.times = nil
	s.cmu.Unlock()
}

func (s *Server) count(name string) {
	now := s.opts.Now()
	s.cmu.Lock()
	s.calls[name]++
	s.recordTimeLocked(name, now)
	s.cmu.Unlock()
}

// SessionCount returns how many sessions (refresh-token grants) exist,
// for one user (by uuid) or, with "", for all users.
func (s *Server) SessionCount(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.grants {
		if !g.idp && (userID == "" || g.userID == userID) {
			n++
		}
	}
	return n
}

// Sessions lists the sessions of a user (by uuid; "" for all), oldest first.
func (s *Server) Sessions(userID string) []SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessionsLocked(userID, false)
}

// LoginSessions lists a user's login sessions (type IDP: sign-ins at
// Authgear through the authentication flow API), oldest first. agmigrate
// never creates these; a test can check that checking a password did not.
func (s *Server) LoginSessions(userID string) []SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessionsLocked(userID, true)
}

func (s *Server) sessionsLocked(userID string, idp bool) []SessionInfo {
	var gs []*grant
	for _, g := range s.grants {
		if g.idp == idp && (userID == "" || g.userID == userID) {
			gs = append(gs, g)
		}
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].olderThan(gs[j]) })
	out := make([]SessionInfo, len(gs))
	for i, g := range gs {
		out[i] = g.info()
	}
	return out
}

// SessionInfo describes one session the fake holds.
type SessionInfo struct {
	ID         string // the offline grant uuid (the refresh token's prefix)
	UserID     string
	ClientID   string
	CreatedAt  time.Time
	DeviceInfo map[string]any // as createSession or the last refresh set it; nil when cleared
	// UserAgent is the User-Agent of the last access: the Admin API call
	// that created the session, then each refresh.
	UserAgent string
	// DisplayName and ApplicationName are what the Session node shows.
	DisplayName     string
	ApplicationName string
	LastAccessedAt  time.Time
	CreatedByIP     string
	LastAccessedIP  string
	// Refreshes counts the refresh_token grants the session answered.
	Refreshes int
	// Type is "OFFLINE_GRANT" (createSession, refresh tokens) or "IDP" (a
	// sign-in at Authgear).
	Type string
}

func (g *grant) info() SessionInfo {
	return SessionInfo{ID: g.id, UserID: g.userID, ClientID: g.clientID, CreatedAt: g.createdAt,
		DeviceInfo: copyMap(g.deviceInfo), UserAgent: g.userAgent, DisplayName: g.displayName(),
		ApplicationName: applicationName(g.deviceInfo), LastAccessedAt: g.lastUsedAt,
		CreatedByIP: g.ip, LastAccessedIP: g.lastIP, Refreshes: g.refreshes, Type: g.sessionType()}
}

func (g *grant) sessionType() string {
	if g.idp {
		return "IDP"
	}
	return "OFFLINE_GRANT"
}

// Session returns the session with the given id (the refresh token's
// prefix, or a Session node's uuid).
func (s *Server) Session(id string) (SessionInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grants[id]
	if g == nil {
		return SessionInfo{}, false
	}
	return g.info(), true
}

// RevokeSession deletes a session; its refresh token and access tokens stop
// working.
func (s *Server) RevokeSession(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteGrantLocked(id)
}

func (s *Server) deleteGrantLocked(id string) {
	delete(s.grants, id)
	for h, at := range s.accessTokens {
		if at.grantID == id {
			delete(s.accessTokens, h)
		}
	}
}

type adminKeyPair struct {
	kid  string
	priv *rsa.PrivateKey
}
