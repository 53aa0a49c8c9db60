package authgeartest_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"sync"
	"testing"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

func parseRSA(t testing.TB, pemBytes []byte) *rsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatal("no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

var other struct {
	sync.Once
	key *rsa.PrivateKey
}

// otherKey is an RSA key the fake does not know.
func otherKey(t testing.TB) *rsa.PrivateKey {
	other.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		other.key = k
	})
	return other.key
}

func jsonBody(v any) ([]byte, error) { return json.Marshal(v) }

func newAdminRequest(t *testing.T, s *authgeartest.Server, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+adminapi.GraphQLPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+adminToken(t, s))
	return req
}
