package exports

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/passwords"
)

func seed(f *testing.F, names ...string) {
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "exports", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// fuzzReader checks what holds for any input: no panic, a typed error or
// users whose not-carried notes and sidecar entries are well formed.
func fuzzReader(f *testing.F, p Provider, opts func() Options) {
	f.Fuzz(func(t *testing.T, b []byte) {
		users, err := Read(p, bytes.NewReader(b), opts())
		if err != nil {
			if !errors.Is(err, ErrFormat) || !strings.HasPrefix(err.Error(), "exports: ") {
				t.Fatalf("error %v", err)
			}
			return
		}
		for _, u := range users {
			if u.Hash != nil && (u.Hash.LoginID == "" || u.Hash.Hash == "") {
				t.Fatalf("sidecar entry without login ID or hash")
			}
			if u.Record.Password != nil && u.Record.Password.Type != "bcrypt" {
				t.Fatalf("a non-bcrypt password in a record")
			}
			for _, s := range u.NotCarried {
				if s == "" {
					t.Fatal("an empty note")
				}
			}
		}
	})
}

func FuzzReadAuth0(f *testing.F) {
	seed(f, "auth0-users.ndjson", "auth0-password-hashes.ndjson")
	fuzzReader(f, Auth0, func() Options { return Options{CustomAttributes: []string{"plan"}} })
}

func FuzzReadFirebase(f *testing.F) {
	seed(f, "firebase-users.json")
	// Parameters whose check is cheap, so a fuzzed hash is parsed fully.
	params := &passwords.FirebaseParams{SignerKey: "AAAAAAAAAAAAAAAAAAAAAA==", SaltSeparator: "Bw==", Rounds: 1, MemCost: 2}
	fuzzReader(f, Firebase, func() Options { return Options{Firebase: params, CustomAttributes: []string{"tier"}} })
}

func FuzzReadCognito(f *testing.F) {
	seed(f, "cognito-list-users.json")
	fuzzReader(f, Cognito, func() Options { return Options{CustomAttributes: []string{"tenant_id"}} })
}

func FuzzReadOkta(f *testing.F) {
	seed(f, "okta-users.json")
	fuzzReader(f, Okta, func() Options { return Options{CustomAttributes: []string{"department"}} })
}

func FuzzReadKeycloak(f *testing.F) {
	seed(f, "keycloak-realm.json")
	fuzzReader(f, Keycloak, func() Options { return Options{CustomAttributes: []string{"department"}} })
}

func FuzzParseFirebaseHashConfig(f *testing.F) {
	seed(f, "firebase-hash-config.txt")
	f.Add([]byte(`{"base64_signer_key":"AAAA","base64_salt_separator":"Bw==","rounds":8,"mem_cost":14}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseFirebaseHashConfig(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if p.SignerKey == "" {
			t.Fatal("accepted without a signer key")
		}
	})
}
