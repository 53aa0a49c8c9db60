package adminapi

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// ErrInvalidKey is returned when an admin key cannot be loaded or is not an
// RSA private key Authgear would accept.
var ErrInvalidKey = errors.New("adminapi: invalid admin key")

// AdminKey is the private key of an Admin API key, with its key ID. Its
// String and GoString methods never print key material, so it is safe to
// pass to a logger by mistake.
type AdminKey struct {
	key jwk.Key // RSA private key with kid and alg RS256 set
}

// KeyID returns the key ID (the kid header of every admin JWT).
func (k *AdminKey) KeyID() string { return k.key.KeyID() }

func (k *AdminKey) String() string   { return "adminapi.AdminKey(kid=" + k.KeyID() + ")" }
func (k *AdminKey) GoString() string { return k.String() }

// LoadKeyFile reads an admin key from a file: a PEM file as the Authgear
// portal downloads it (then keyID, shown next to the download button, is
// required), or a JWK or JWK set in JSON as the admin-api.auth item of
// authgear.secrets.yaml holds it (keyID picks one key of a set; empty takes
// the first).
func LoadKeyFile(path, keyID string) (*AdminKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	if strings.Contains(string(data), "-----BEGIN") {
		return ParseKeyPEM(data, keyID)
	}
	return ParseKeyJWK(data, keyID)
}

// ParseKeyPEM parses an RSA private key in PEM (PKCS #1 or PKCS #8) and
// binds it to keyID, which must not be empty.
func ParseKeyPEM(data []byte, keyID string) (*AdminKey, error) {
	if keyID == "" {
		return nil, fmt.Errorf("%w: a PEM key needs its key ID (Portal > Advanced > Admin API)", ErrInvalidKey)
	}
	key, err := jwk.ParseKey(data, jwk.WithPEM(true))
	if err != nil {
		return nil, fmt.Errorf("%w: PEM: %v", ErrInvalidKey, err)
	}
	if err := key.Set(jwk.KeyIDKey, keyID); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	return newAdminKey(key)
}

// ParseKeyJWK parses a JWK or a JWK set ({"keys": [...]}) in JSON. With a
// set, keyID selects the key; empty selects the first. A key without a kid
// takes keyID.
func ParseKeyJWK(data []byte, keyID string) (*AdminKey, error) {
	var probe struct {
		Keys json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrInvalidKey, err)
	}
	var key jwk.Key
	if probe.Keys != nil {
		set, err := jwk.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%w: JWK set: %v", ErrInvalidKey, err)
		}
		if set.Len() == 0 {
			return nil, fmt.Errorf("%w: the JWK set is empty", ErrInvalidKey)
		}
		if keyID == "" {
			key, _ = set.Key(0)
		} else if k, ok := set.LookupKeyID(keyID); ok {
			key = k
		} else {
			return nil, fmt.Errorf("%w: no key with kid %q in the set", ErrInvalidKey, keyID)
		}
	} else {
		k, err := jwk.ParseKey(data)
		if err != nil {
			return nil, fmt.Errorf("%w: JWK: %v", ErrInvalidKey, err)
		}
		key = k
	}
	if key.KeyID() == "" {
		if keyID == "" {
			return nil, fmt.Errorf("%w: the key has no kid and none was given", ErrInvalidKey)
		}
		_ = key.Set(jwk.KeyIDKey, keyID)
	} else if keyID != "" && key.KeyID() != keyID {
		return nil, fmt.Errorf("%w: the key's kid differs from the key ID given", ErrInvalidKey)
	}
	return newAdminKey(key)
}

// NewAdminKey wraps an RSA private key and its key ID, for keys held
// elsewhere (a secret manager, a test).
func NewAdminKey(priv *rsa.PrivateKey, keyID string) (*AdminKey, error) {
	if priv == nil || keyID == "" {
		return nil, fmt.Errorf("%w: a private key and a key ID are required", ErrInvalidKey)
	}
	key, err := jwk.FromRaw(priv)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	_ = key.Set(jwk.KeyIDKey, keyID)
	return newAdminKey(key)
}

func newAdminKey(key jwk.Key) (*AdminKey, error) {
	var priv rsa.PrivateKey
	if key.KeyType() != jwa.RSA {
		return nil, fmt.Errorf("%w: key type %s, want RSA", ErrInvalidKey, key.KeyType())
	}
	if err := key.Raw(&priv); err != nil {
		return nil, fmt.Errorf("%w: not an RSA private key", ErrInvalidKey)
	}
	if priv.N.BitLen() < 2048 {
		return nil, fmt.Errorf("%w: RSA key of %d bits, want at least 2048", ErrInvalidKey, priv.N.BitLen())
	}
	if alg := key.Algorithm().String(); alg != "" && alg != jwa.RS256.String() {
		return nil, fmt.Errorf("%w: key algorithm %s, Authgear accepts RS256 only", ErrInvalidKey, alg)
	}
	_ = key.Set(jwk.AlgorithmKey, jwa.RS256)
	return &AdminKey{key: key}, nil
}
