package verifier_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/agmigrate/agmigrate/verifier"
)

// refusingTransport fails every request and counts them: the http://
// checks must refuse before anything is sent.
type refusingTransport struct{ calls atomic.Int32 }

func (rt *refusingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	rt.calls.Add(1)
	return nil, errors.New("no network in this test")
}

// Endpoints given as http:// are refused at construction unless loopback.
func TestPlainHTTPEndpointsRefused(t *testing.T) {
	t.Parallel()
	rt := &refusingTransport{}
	hc := &http.Client{Transport: rt}
	if _, err := verifier.NewAuthgear(bg(t), verifier.AuthgearConfig{Endpoint: "http://myapp.authgear.example", HTTPClient: hc}); !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("Authgear endpoint over http: %v, want ErrConfig", err)
	}
	for name, cfg := range map[string]verifier.JWTConfig{
		"JWKSURL":   {JWKSURL: "http://legacy.example.com/jwks.json", Issuer: "i", Audience: []string{"a"}, HTTPClient: hc},
		"Discovery": {Discovery: true, Issuer: "http://legacy.example.com", Audience: []string{"a"}, HTTPClient: hc},
	} {
		if _, err := verifier.NewJWT(bg(t), cfg); !errors.Is(err, verifier.ErrConfig) {
			t.Errorf("legacy %s over http: %v, want ErrConfig", name, err)
		}
	}
	if _, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: "http://legacy.example.com/introspect", ClientID: "a", ClientSecret: "b",
		Audience: []string{"web"}, HTTPClient: hc}); !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("introspection over http: %v, want ErrConfig", err)
	}
	if n := rt.calls.Load(); n != 0 {
		t.Errorf("%d requests sent to plain-http endpoints", n)
	}
}

// A discovery document at a loopback issuer that names a JWKS on another
// host over plain http is refused as well.
func TestDiscoveredPlainHTTPJWKSRefused(t *testing.T) {
	t.Parallel()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL, "jwks_uri": "http://keys.example.com/jwks", "userinfo_endpoint": srv.URL + "/userinfo"})
	}))
	defer srv.Close()
	rt := &refusingTransport{}
	_, err := verifier.NewAuthgear(bg(t), verifier.AuthgearConfig{Endpoint: srv.URL, HTTPClient: &http.Client{Transport: &onlyLoopback{rt}}})
	if !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("discovered http JWKS URL: %v, want ErrConfig", err)
	}
	if n := rt.calls.Load(); n != 0 {
		t.Errorf("%d requests sent to the plain-http JWKS", n)
	}
}

// onlyLoopback sends loopback requests and hands the rest to next.
type onlyLoopback struct{ next http.RoundTripper }

func (o *onlyLoopback) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Host, "127.0.0.1:") {
		return http.DefaultTransport.RoundTrip(r)
	}
	return o.next.RoundTrip(r)
}
