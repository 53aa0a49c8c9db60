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

// importAndWait posts an import job and polls it until it completes,
// returning the completed result.
func importAndWait(t *testing.T, s *authgeartest.Server, body string) map[string]any {
	t.Helper()
	hdr := map[string]string{"Authorization": "Bearer " + adminToken(t, s), "Content-Type": "application/json"}
	a := do(t, "POST", s.URL+"/_api/admin/users/import", hdr, body)
	res, _ := a.json(t)["result"].(map[string]any)
	id, _ := res["id"].(string)
	if a.status != 200 || id == "" {
		t.Fatalf("import: %d %s", a.status, a.body)
	}
	for i := 0; i < 10; i++ {
		g := do(t, "GET", s.URL+"/_api/admin/users/import/"+id, hdr, "")
		res, _ := g.json(t)["result"].(map[string]any)
		if res["status"] == "completed" {
			return res
		}
	}
	t.Fatal("import job never completed")
	return nil
}
