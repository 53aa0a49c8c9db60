package agmigrate_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// Secure cookies are __Host- cookies by default (Secure, Path=/, no
// Domain); with a Domain they can only be __Secure-; over plain HTTP no
// prefix, as browsers drop prefixed cookies that are not Secure.
func TestCookieNamePrefixes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	for _, tc := range []struct {
		name    string
		cookies agmigrate.Cookies
		access  string
		refresh string
	}{
		{"default", agmigrate.Cookies{}, "__Host-ag_access", "__Host-ag_refresh"},
		{"domain", agmigrate.Cookies{Domain: "example.com"}, "__Secure-ag_access", "__Secure-ag_refresh"},
		{"path", agmigrate.Cookies{Path: "/app"}, "__Secure-ag_access", "__Secure-ag_refresh"},
		{"insecure", agmigrate.Cookies{InsecureAllowHTTP: true}, "ag_access", "ag_refresh"},
		{"renamed", agmigrate.Cookies{AccessName: "__Host-a", RefreshName: "r"}, "__Host-a", "r"},
	} {
		cfg := w.config()
		cfg.Delivery = tc.cookies
		h := w.middleware(cfg).Handler(app)
		s := serve(h, withLegacyCookie(w.verifiedToken(map[string]any{"email": "alice@example.com"})))
		a, r := s.cookies[tc.access], s.cookies[tc.refresh]
		if a == nil || r == nil {
			t.Errorf("%s: cookies %v, want %s and %s", tc.name, keys(s.cookies), tc.access, tc.refresh)
			continue
		}
		for _, c := range []*httptestCookie{{a.Name, a.Secure, a.Path, a.Domain}, {r.Name, r.Secure, r.Path, r.Domain}} {
			if strings.HasPrefix(c.name, "__Host-") && (!c.secure || c.path != "/" || c.domain != "") {
				t.Errorf("%s: %s Secure %v Path %q Domain %q breaks the __Host- rules", tc.name, c.name, c.secure, c.path, c.domain)
			}
			if strings.HasPrefix(c.name, "__Secure-") && !c.secure {
				t.Errorf("%s: %s is not Secure", tc.name, c.name)
			}
		}
	}
	_ = httptest.NewRecorder
}

type httptestCookie struct {
	name         string
	secure       bool
	path, domain string
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Names browsers would drop are refused at New.
func TestCookiePrefixConfigRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	for name, c := range map[string]agmigrate.Cookies{
		"host over http":    {AccessName: "__Host-a", InsecureAllowHTTP: true},
		"host with domain":  {RefreshName: "__Host-r", Domain: "example.com"},
		"host with path":    {AccessName: "__Host-a", Path: "/app"},
		"secure over http":  {AccessName: "__Secure-a", InsecureAllowHTTP: true},
		"lower-case prefix": {AccessName: "__host-a", InsecureAllowHTTP: true},
	} {
		cfg := w.config()
		cfg.Delivery = c
		if _, err := agmigrate.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
