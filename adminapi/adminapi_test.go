package adminapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestGetUserByLoginID(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com", Phone: "+85291234567", Username: "alice"})
	carol := fake.AddUser(authgeartest.User{Email: "carol@example.com", Disabled: true})
	dave := fake.AddUser(authgeartest.User{Email: "dave@example.com", Deactivated: true})
	c := fake.AdminClient()

	tests := []struct {
		name, key, value string
		wantID           string
		wantErr          error
		disabled, deact  bool
	}{
		{name: "email", key: "email", value: "alice@example.com", wantID: alice},
		{name: "email case folded", key: "email", value: "ALICE@Example.COM", wantID: alice},
		{name: "phone", key: "phone", value: "+852 9123-4567", wantID: alice},
		{name: "username case folded", key: "username", value: "Alice", wantID: alice},
		{name: "disabled", key: "email", value: "carol@example.com", wantID: carol, disabled: true},
		{name: "deactivated", key: "email", value: "dave@example.com", wantID: dave, deact: true},
		{name: "not found", key: "email", value: "nobody@example.com", wantErr: adminapi.ErrUserNotFound},
		{name: "not trimmed", key: "email", value: " alice@example.com", wantErr: adminapi.ErrUserNotFound},
		{name: "bad value", key: "email", value: "bad_email_address", wantErr: adminapi.ErrInvalidLoginID},
		{name: "empty value", key: "email", value: "", wantErr: adminapi.ErrInvalidLoginID},
		{name: "national phone", key: "phone", value: "91234567", wantErr: adminapi.ErrInvalidLoginID},
		{name: "unknown key", key: "foo", value: "x", wantErr: adminapi.ErrInvalidLoginID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := c.GetUserByLoginID(ctx(t), tt.key, tt.value)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != tt.wantID || u.NodeID != adminapi.UserNodeID(tt.wantID) {
				t.Errorf("user %s (%s), want %s", u.ID, u.NodeID, tt.wantID)
			}
			if u.IsDisabled != tt.disabled || u.IsDeactivated != tt.deact {
				t.Errorf("disabled %v deactivated %v, want %v %v", u.IsDisabled, u.IsDeactivated, tt.disabled, tt.deact)
			}
		})
	}
	if n := fake.Calls("getUserByLoginID"); n != len(tests) {
		t.Errorf("fake saw %d getUserByLoginID calls, want %d", n, len(tests))
	}
}

func TestInvalidLoginIDKeepsAuthgearFields(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{LoginIDKeys: []string{"email"}})
	_, err := fake.AdminClient().GetUserByLoginID(ctx(t), "phone", "+85291234567")
	var ge *adminapi.GraphQLError
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a *GraphQLError", err)
	}
	if ge.ErrorName != "Invalid" || ge.Reason != "GetUsersInvalidArgument" || ge.Message != "invalid Login ID key" {
		t.Errorf("got %+v", ge)
	}
	if len(ge.Path) != 1 || ge.Path[0] != "getUserByLoginID" {
		t.Errorf("path %v", ge.Path)
	}
}

func TestCreateSession(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com", Roles: []string{"admin"}})
	c := fake.AdminClient()

	sess, err := c.CreateSession(ctx(t), adminapi.UserNodeID(alice), "test-client", adminapi.DeviceInfo{"web": map[string]any{"userAgent": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if sess.TokenType != "Bearer" || sess.ExpiresIn != 1800*time.Second {
		t.Errorf("session %v", sess)
	}
	if !strings.HasPrefix(sess.RefreshToken, fake.Sessions(alice)[0].ID+".") {
		t.Errorf("refresh token is not <grant id>.<secret>")
	}
	tok, err := jwt.ParseString(sess.AccessToken, jwt.WithKeySet(fake.PublicKeys()), jwt.WithIssuer(fake.URL), jwt.WithAudience(fake.URL))
	if err != nil {
		t.Fatalf("access token does not verify against the fake's JWKS: %v", err)
	}
	if tok.Subject() != alice {
		t.Errorf("sub %s, want %s", tok.Subject(), alice)
	}
	if cid, _ := tok.Get("client_id"); cid != "test-client" {
		t.Errorf("client_id %v", cid)
	}
	if fake.SessionCount(alice) != 1 {
		t.Errorf("%d sessions, want 1", fake.SessionCount(alice))
	}
	// Printing a session must not show its tokens.
	for _, s := range []string{sess.String(), sess.GoString()} {
		if strings.Contains(s, sess.AccessToken) || strings.Contains(s, sess.RefreshToken) {
			t.Errorf("Session's string form leaks a token: %s", s)
		}
	}
}

func TestCreateSessionErrors(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{
		Clients: []authgeartest.Client{{ID: "test-client"}, {ID: "partner", ThirdParty: true}},
	})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	c := fake.AdminClient()
	node := adminapi.UserNodeID(alice)

	_, err := c.CreateSession(ctx(t), "not-a-node-id", "nope", nil)
	if !errors.Is(err, adminapi.ErrCreateSessionDisabled) {
		t.Fatalf("disabled flag: err = %v, want ErrCreateSessionDisabled (checked before the input)", err)
	}
	fake.SetCreateSessionEnabled(true)
	tests := []struct {
		name, user, client string
		want               error
		msg                string
	}{
		{"bad user ID", "not-a-node-id", "test-client", adminapi.ErrInvalidInput, "invalid user ID"},
		{"raw uuid", alice, "test-client", adminapi.ErrInvalidInput, "invalid user ID"},
		{"unknown user", adminapi.UserNodeID("db8ed58e-af98-4259-9e09-a97e17b4425d"), "test-client", adminapi.ErrUserNotFound, "user not found"},
		{"unknown client", node, "nope", adminapi.ErrInvalidInput, "invalid client ID"},
		{"third-party client", node, "partner", adminapi.ErrInvalidInput, "cannot create session for non-first party client"},
	}
	for _, tt := range tests {
		_, err := c.CreateSession(ctx(t), tt.user, tt.client, nil)
		var ge *adminapi.GraphQLError
		if !errors.Is(err, tt.want) || !errors.As(err, &ge) || ge.Message != tt.msg {
			t.Errorf("%s: err = %v, want %v %q", tt.name, err, tt.want, tt.msg)
		}
	}
	if n := fake.SessionCount(""); n != 0 {
		t.Errorf("%d sessions created by failing calls", n)
	}
}

func TestForbidden(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{})
	other := authgeartest.New(t, authgeartest.Options{})
	other.AddAdminKey("someone-elses-key")

	// Right key, wrong project ID.
	c, err := adminapi.New(adminapi.Config{Endpoint: fake.URL, ProjectID: "otherapp", Key: fake.AdminKey()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetUserByLoginID(ctx(t), "email", "a@example.com")
	var he *adminapi.HTTPError
	if !errors.Is(err, adminapi.ErrForbidden) || !errors.As(err, &he) || he.StatusCode != 403 || he.Message != "Forbidden" {
		t.Fatalf("err = %v, want ErrForbidden from a plain-text 403", err)
	}
	if adminapi.IsTransient(err) {
		t.Error("a 403 must not count as transient")
	}
	if fake.Calls("admin.forbidden") != 1 || fake.Calls("graphql") != 0 {
		t.Errorf("calls %v", fake.AllCalls())
	}
}

func TestTransientFailures(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{})
	c := fake.AdminClient()
	cases := []struct {
		name  string
		fault authgeartest.Fault
		ctxTO time.Duration
	}{
		{"503", authgeartest.Fault{Status: 503, Times: 1}, 0},
		{"dropped connection", authgeartest.Fault{Drop: true, Times: 1}, 0},
		{"slow beyond the deadline", authgeartest.Fault{Latency: 2 * time.Second, Times: 1}, 100 * time.Millisecond},
	}
	for _, tc := range cases {
		fake.SetFault("graphql", tc.fault)
		cx := ctx(t)
		if tc.ctxTO > 0 {
			var cancel context.CancelFunc
			cx, cancel = context.WithTimeout(cx, tc.ctxTO)
			defer cancel()
		}
		_, err := c.GetUserByLoginID(cx, "email", "a@example.com")
		if !errors.Is(err, adminapi.ErrTransient) || !adminapi.IsTransient(err) {
			t.Errorf("%s: err = %v, want a transient error", tc.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "eyJ") {
			t.Errorf("%s: error message contains a JWT: %v", tc.name, err)
		}
		fake.ClearFault("graphql")
	}
	// After the faults, the same client works again.
	if _, err := c.GetUserByLoginID(ctx(t), "email", "a@example.com"); !errors.Is(err, adminapi.ErrUserNotFound) {
		t.Errorf("after recovery: %v", err)
	}
}

func TestOtherGraphQLErrorKeepsFields(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	fake.SetFault("createSession", authgeartest.Fault{GraphQLError: &authgeartest.GraphQLError{Message: "quota exceeded", ErrorName: "TooManyRequest", Reason: "UsageLimitExceeded"}})
	_, err := fake.AdminClient().CreateSession(ctx(t), adminapi.UserNodeID(alice), "test-client", nil)
	var ge *adminapi.GraphQLError
	if !errors.As(err, &ge) || ge.ErrorName != "TooManyRequest" || ge.Reason != "UsageLimitExceeded" || ge.Message != "quota exceeded" {
		t.Fatalf("err = %#v", err)
	}
	for _, sentinel := range []error{adminapi.ErrUserNotFound, adminapi.ErrInvalidLoginID, adminapi.ErrCreateSessionDisabled, adminapi.ErrForbidden, adminapi.ErrTransient} {
		if errors.Is(err, sentinel) {
			t.Errorf("an unrelated error matches %v", sentinel)
		}
	}
}

// Self-hosted Authgear serves the Admin API on its own listener; the
// client must reach it with the public host so that session tokens carry
// the public origin.
func TestSeparateAdminListener(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true, AdminListener: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})

	issuer := func(cfg adminapi.Config) string {
		t.Helper()
		cfg.ProjectID, cfg.Key = "myapp", fake.AdminKey()
		c, err := adminapi.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.CreateSession(ctx(t), adminapi.UserNodeID(alice), "test-client", nil)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := jwt.ParseString(s.AccessToken, jwt.WithVerify(false))
		if err != nil {
			t.Fatal(err)
		}
		return tok.Issuer()
	}
	if iss := issuer(adminapi.Config{Endpoint: fake.URL, AdminURL: fake.AdminURL()}); iss != fake.URL {
		t.Errorf("with AdminURL: iss %s, want the public origin %s", iss, fake.URL)
	}
	if iss := issuer(adminapi.Config{Endpoint: fake.AdminURL()}); iss != fake.AdminURL() {
		t.Errorf("admin listener as Endpoint: iss %s, want the admin origin (the misconfiguration doctor warns about)", iss)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{})
	key := fake.AdminKey()
	for name, cfg := range map[string]adminapi.Config{
		"no endpoint":       {ProjectID: "myapp", Key: key},
		"relative endpoint": {Endpoint: "myapp.authgear.cloud", ProjectID: "myapp", Key: key},
		"endpoint w/ query": {Endpoint: "https://a.example?x=1", ProjectID: "myapp", Key: key},
		"no key":            {Endpoint: "https://a.example", ProjectID: "myapp"},
		"no project":        {Endpoint: "https://a.example", Key: key},
		"project is a URL":  {Endpoint: "https://a.example", ProjectID: "https://a.example", Key: key},
		"bad admin URL":     {Endpoint: "https://a.example", AdminURL: "ftp://x", ProjectID: "myapp", Key: key},
	} {
		if _, err := adminapi.New(cfg); !errors.Is(err, adminapi.ErrInvalidConfig) {
			t.Errorf("%s: err = %v, want ErrInvalidConfig", name, err)
		}
	}
}
