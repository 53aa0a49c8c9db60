package adminapi

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

func TestLoadKeyFormats(t *testing.T) {
	priv := testKey()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(priv)
	jk, _ := jwk.FromRaw(priv)
	_ = jk.Set(jwk.KeyIDKey, "kid-a")
	jkJSON, _ := json.Marshal(jk)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	jk2, _ := jwk.FromRaw(other)
	_ = jk2.Set(jwk.KeyIDKey, "kid-b")
	jk2JSON, _ := json.Marshal(jk2)
	set := []byte(fmt.Sprintf(`{"keys":[%s,%s]}`, jkJSON, jk2JSON))

	tests := []struct {
		name, file, kid string
		data            []byte
		wantKid         string
	}{
		{"PKCS #1 PEM", "a.pem", "kid-p", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}), "kid-p"},
		{"PKCS #8 PEM", "b.pem", "kid-p", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), "kid-p"},
		{"single JWK", "c.json", "", jkJSON, "kid-a"},
		{"JWK set, first", "d.json", "", set, "kid-a"},
		{"JWK set, by kid", "e.json", "kid-b", set, "kid-b"},
	}
	for _, tt := range tests {
		k, err := LoadKeyFile(write(tt.file, tt.data), tt.kid)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if k.KeyID() != tt.wantKid {
			t.Errorf("%s: kid %s, want %s", tt.name, k.KeyID(), tt.wantKid)
		}
		if s := fmt.Sprintf("%v %+v %#v %s", k, k, k, k); strings.Contains(s, "BEGIN") || strings.Contains(s, `"d"`) {
			t.Errorf("%s: formatting the key prints key material: %s", tt.name, s)
		}
	}
}

func TestLoadKeyRefusesBadKeys(t *testing.T) {
	priv := testKey()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	pubJWK, _ := jwk.FromRaw(&priv.PublicKey)
	_ = pubJWK.Set(jwk.KeyIDKey, "pub")
	pubJSON, _ := json.Marshal(pubJWK)
	rs512, _ := jwk.FromRaw(priv)
	_ = rs512.Set(jwk.KeyIDKey, "k")
	_ = rs512.Set(jwk.AlgorithmKey, "RS512")
	rs512JSON, _ := json.Marshal(rs512)
	noKid, _ := jwk.FromRaw(priv)
	noKidJSON, _ := json.Marshal(noKid)

	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
	for name, f := range map[string]func() error{
		"PEM without key ID": func() error { _, err := ParseKeyPEM(pkcs1, ""); return err },
		"EC key": func() error {
			_, err := ParseKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), "k")
			return err
		},
		"1024-bit RSA": func() error {
			_, err := ParseKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)}), "k")
			return err
		},
		"public key":      func() error { _, err := ParseKeyJWK(pubJSON, ""); return err },
		"RS512 key":       func() error { _, err := ParseKeyJWK(rs512JSON, ""); return err },
		"JWK without kid": func() error { _, err := ParseKeyJWK(noKidJSON, ""); return err },
		"kid mismatch":    func() error { _, err := ParseKeyJWK(rs512JSON, "other"); return err },
		"empty set":       func() error { _, err := ParseKeyJWK([]byte(`{"keys":[]}`), ""); return err },
		"garbage":         func() error { _, err := ParseKeyJWK([]byte("nope"), ""); return err },
		"missing file":    func() error { _, err := LoadKeyFile(filepath.Join(t.TempDir(), "none"), "k"); return err },
	} {
		if err := f(); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: err = %v, want ErrInvalidKey", name, err)
		}
	}
}
