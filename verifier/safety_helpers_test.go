package verifier_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/internal/reference"
)

// hmacRaw signs a ready signing input with HMAC-SHA256.
func hmacRaw(in string, secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

// recordedLookup is one getUserByLoginID(email, …) recorded from the real
// server: the value sent and the email of the user it returned ("" when
// none).
type recordedLookup struct{ name, sent, found string }

// recordedLookups reads every recorded getUserByLoginID on the email key.
func recordedLookups(t *testing.T) []recordedLookup {
	t.Helper()
	dir := reference.Require(t, "authgear-responses")
	files, _ := filepath.Glob(filepath.Join(dir, "*getuser*.json"))
	var out []recordedLookup
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rec struct {
			Request struct {
				Body struct {
					Variables map[string]any `json:"variables"`
				} `json:"body"`
			} `json:"request"`
			Response struct {
				Body struct {
					Data struct {
						User *struct {
							Attrs map[string]any `json:"standardAttributes"`
						} `json:"getUserByLoginID"`
					} `json:"data"`
				} `json:"body"`
			} `json:"response"`
		}
		if json.Unmarshal(raw, &rec) != nil {
			continue
		}
		var key, val string
		for _, v := range rec.Request.Body.Variables {
			s, _ := v.(string)
			if s == "email" {
				key = s
			} else if strings.Contains(s, "@") {
				val = s
			}
		}
		if key != "email" || val == "" {
			continue
		}
		c := recordedLookup{name: filepath.Base(f), sent: val}
		if u := rec.Response.Body.Data.User; u != nil {
			c.found, _ = u.Attrs["email"].(string)
		}
		out = append(out, c)
	}
	if len(out) < 5 {
		t.Fatalf("only %d recorded email lookups found", len(out))
	}
	return out
}
