package adminapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"

	"github.com/agmigrate/agmigrate/adminapi"
)

// Plain HTTP to Authgear is refused unless the host is this machine or
// the insecure option says so: the admin JWT and the sessions created
// would travel in clear.
func TestPlainHTTPRefusedUnlessLoopback(t *testing.T) {
	t.Parallel()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := adminapi.NewAdminKey(priv, "k1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		endpoint, adminURL string
		insecure, ok       bool
	}{
		{"https://auth.example.com", "", false, true},
		{"http://auth.example.com", "", false, false},
		{"http://auth.example.com", "", true, true},
		{"https://auth.example.com", "http://10.0.0.5:3002", false, false},
		{"https://auth.example.com", "http://10.0.0.5:3002", true, true},
		{"https://auth.example.com", "http://127.0.0.1:3002", false, true},
		{"http://127.0.0.1:3000", "", false, true},
		{"http://localhost:3000", "", false, true},
		{"http://[::1]:3000", "", false, true},
		{"http://127.0.0.1.example.com", "", false, false},
		{"http://localhost.example.com", "", false, false},
		{"http://app.localhost:3000", "", false, false},
	} {
		c, err := adminapi.New(adminapi.Config{Endpoint: tc.endpoint, AdminURL: tc.adminURL, ProjectID: "myapp", Key: key, InsecureHTTP: tc.insecure})
		if (err == nil) != tc.ok {
			t.Errorf("%s %s insecure=%v: err %v, want ok=%v", tc.endpoint, tc.adminURL, tc.insecure, err, tc.ok)
		}
		if err != nil && !errors.Is(err, adminapi.ErrInvalidConfig) {
			t.Errorf("%s: %v does not wrap ErrInvalidConfig", tc.endpoint, err)
		}
		if err == nil && c.ProjectID() != "myapp" {
			t.Errorf("ProjectID %q", c.ProjectID())
		}
	}
}
