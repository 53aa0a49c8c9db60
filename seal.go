package agmigrate

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"

	"github.com/agmigrate/agmigrate/adminapi"
)

// Values in the Store are sealed with AES-256-GCM under a key derived from
// the secret they belong to (the legacy token, or the refresh token), and
// stored under a different derivation of it. Whoever reads the store, a
// Redis dump say, gets neither a usable Authgear token nor the means to
// decrypt one, unless they already hold the secret it was sealed for.

var errUnseal = errors.New("agmigrate: stored value does not open")

// ExchangeKey returns the Store key under which a middleware configured
// with admin and clientID keeps the exchange of a legacy token (a hash: the
// key reveals nothing of the token). The key is bound to the Authgear
// project (admin's endpoint and project ID) and the client, so middlewares
// of two projects or clients sharing one store never read each other's
// entries. Deleting it makes the next request with that token exchange
// again; a shared store's lock for the exchange is named after it.
// Middleware.ExchangeKey gives the same for a running middleware.
func ExchangeKey(admin *adminapi.Client, clientID, legacyToken string) string {
	return bindingOf(admin, clientID).key("x", legacyToken)
}

// binding ties store entries to one Authgear project and client: a digest
// of the endpoint, project ID and client ID, mixed into every key, sealing
// key and additional data. The empty binding is the unbound form used
// for refresh entries, whose secret (a refresh token) is already unique to
// one project and client.
type binding string

// bindingOf derives the binding of a middleware from its admin client (the
// project's public origin and ID) and client ID.
func bindingOf(admin *adminapi.Client, clientID string) binding {
	h := sha256.New()
	h.Write([]byte("agmigrate/v2/binding"))
	var endpoint, project string
	if admin != nil {
		endpoint, project = admin.Endpoint(), admin.ProjectID()
	}
	for _, part := range []string{endpoint, project, clientID} {
		// Length-prefixed, so that no two different triples give one input.
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(part))))
		h.Write([]byte(part))
	}
	return binding(h.Sum(nil))
}

// storeKey names the unbound store entry for secret in a namespace ("r"
// for refreshes, "s" for shadow lookups).
func storeKey(namespace, secret string) string { return binding("").key(namespace, secret) }

// key names the store entry for secret in a namespace ("x" for exchanges).
func (b binding) key(namespace, secret string) string {
	h := sha256.New()
	if b == "" {
		h.Write([]byte("agmigrate/v1/key/" + namespace + "\x00"))
	} else {
		h.Write([]byte("agmigrate/v2/key/" + namespace + "\x00" + string(b)))
	}
	h.Write([]byte(secret))
	var sum [sha256.Size]byte
	return "agm:" + namespace + ":" + hex.EncodeToString(h.Sum(sum[:0]))
}

func (b binding) sealKey(namespace, secret string) []byte {
	info := "agmigrate/v1/seal/" + namespace
	if b != "" {
		info = "agmigrate/v2/seal/" + namespace + "\x00" + string(b)
	}
	k, err := hkdf.Key(sha256.New, []byte(secret), nil, info, 32)
	if err != nil {
		panic("agmigrate: hkdf: " + err.Error()) // only for lengths out of range
	}
	return k
}

func seal(namespace, secret, key string, plaintext []byte) []byte {
	return binding("").seal(namespace, secret, key, plaintext)
}

func unseal(namespace, secret, key string, sealed []byte) ([]byte, error) {
	return binding("").unseal(namespace, secret, key, sealed)
}

// seal encrypts plaintext for secret; the store key is bound in as
// additional data, so a value cannot be moved to another key.
func (b binding) seal(namespace, secret, key string, plaintext []byte) []byte {
	block, _ := aes.NewCipher(b.sealKey(namespace, secret))
	gcm, _ := cipher.NewGCM(block)
	out := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(plaintext)+gcm.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic("agmigrate: crypto/rand: " + err.Error())
	}
	return gcm.Seal(out, out, plaintext, []byte(key))
}

func (b binding) unseal(namespace, secret, key string, sealed []byte) ([]byte, error) {
	block, _ := aes.NewCipher(b.sealKey(namespace, secret))
	gcm, _ := cipher.NewGCM(block)
	if len(sealed) < gcm.NonceSize()+gcm.Overhead() {
		return nil, errUnseal
	}
	pt, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(key))
	if err != nil {
		return nil, errUnseal
	}
	return pt, nil
}
