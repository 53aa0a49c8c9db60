package agmigrate

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// Values in the Store are sealed with AES-256-GCM under a key derived from
// the secret they belong to (the legacy token, or the refresh token), and
// stored under a different derivation of it. Whoever reads the store, a
// Redis dump say, gets neither a usable Authgear token nor the means to
// decrypt one, unless they already hold the secret it was sealed for.

var errUnseal = errors.New("agmigrate: stored value does not open")

// ExchangeKey returns the Store key under which the exchange of a legacy
// token is kept (a hash: the key reveals nothing of the token). Deleting it
// makes the next request with that token exchange again; a shared store's
// lock for the exchange is named after it.
func ExchangeKey(legacyToken string) string { return storeKey("x", legacyToken) }

// storeKey names the store entry for secret in a namespace ("x" for
// exchanges, "r" for refreshes).
func storeKey(namespace, secret string) string {
	h := sha256.New()
	h.Write([]byte("agmigrate/v1/key/" + namespace + "\x00"))
	h.Write([]byte(secret))
	return "agm:" + namespace + ":" + hex.EncodeToString(h.Sum(nil))
}

func sealKey(namespace, secret string) []byte {
	k, err := hkdf.Key(sha256.New, []byte(secret), nil, "agmigrate/v1/seal/"+namespace, 32)
	if err != nil {
		panic("agmigrate: hkdf: " + err.Error()) // only for lengths out of range
	}
	return k
}

// seal encrypts plaintext for secret; the store key is bound in as
// additional data, so a value cannot be moved to another key.
func seal(namespace, secret, key string, plaintext []byte) []byte {
	block, _ := aes.NewCipher(sealKey(namespace, secret))
	gcm, _ := cipher.NewGCM(block)
	out := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(plaintext)+gcm.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic("agmigrate: crypto/rand: " + err.Error())
	}
	return gcm.Seal(out, out, plaintext, []byte(key))
}

func unseal(namespace, secret, key string, sealed []byte) ([]byte, error) {
	block, _ := aes.NewCipher(sealKey(namespace, secret))
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
