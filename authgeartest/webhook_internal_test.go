package authgeartest

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/agmigrate/agmigrate/internal/reference"
)

// TestSignatureMatchesRecordedDelivery checks the signing against the bytes,
// key and signature of a delivery recorded from a real server.
func TestSignatureMatchesRecordedDelivery(t *testing.T) {
	p := reference.Require(t, "authgear-webhook-signature.json")
	b, err := os.ReadFile(filepath.Clean(p))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		SecretHex string `json:"secret_octets_hex"`
		Body      string `json:"body"`
		Signature string `json:"signature"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	key, _ := hex.DecodeString(rec.SecretHex)
	if got := sign(key, []byte(rec.Body)); got != rec.Signature {
		t.Fatalf("signature %s, recorded %s", got, rec.Signature)
	}
}
