package agmigrate

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
)

// A session's head is where a refresh made on the cookie path leaves the
// session's newest tokens, so that the stored exchange follows a rotated
// refresh token and the legacy token keeps leading to the live session.
//
// The cookie path holds only the refresh token, and the stored exchange
// can only be opened with the legacy token. The head is therefore sealed
// to a public key: the exchange keeps the X25519 private key (inside its
// own sealed record), the head entry holds the public key, and whoever
// refreshes seals the new tokens to it. Holding an old refresh token lets
// one write a head, never read one: rotation still retires old tokens.
//
// Stored value: the 32-byte public key, then (once a refresh happened) an
// ephemeral public key, a GCM nonce and the sealed record.

// headKey names the head entry of the session whose refresh token has
// grant ID gid (the part before the dot, which rotation keeps).
func headKey(gid string) string { return storeKey("h", gid) }

// grantID returns the offline-grant ID of an Authgear refresh token, or "".
func grantID(refreshToken string) string {
	gid, _, ok := strings.Cut(refreshToken, ".")
	if !ok || !adminapi.IsUUID(gid) {
		return ""
	}
	return gid
}

// newHead makes the key pair of a new session's head: the private key to
// keep in the exchange record, and the head's first value.
func newHead() (priv string, head []byte) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return "", nil
	}
	return base64.RawURLEncoding.EncodeToString(k.Bytes()), k.PublicKey().Bytes()
}

func headCipher(shared, salt []byte, info string) (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, shared, salt, info, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealHead returns a head value carrying rec, sealed to the public key at
// the start of old; nil when old is not a head.
func sealHead(old []byte, key string, rec *record) []byte {
	if len(old) < 32 {
		return nil
	}
	pub, err := ecdh.X25519().NewPublicKey(old[:32])
	if err != nil {
		return nil
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return nil
	}
	gcm, err := headCipher(shared, eph.PublicKey().Bytes(), "agmigrate/v1/head")
	if err != nil {
		return nil
	}
	pt, _ := json.Marshal(rec)
	out := append(append([]byte{}, old[:32]...), eph.PublicKey().Bytes()...)
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil
	}
	out = append(out, nonce...)
	return gcm.Seal(out, nonce, pt, []byte(key))
}

// headSeal names one sealing of a head (its ephemeral public key), so a
// head already adopted is not opened again.
func headSeal(v []byte) string {
	if len(v) < 64 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(v[32:64])
}

// openHead returns the tokens a head carries, if any, with the exchange's
// private key.
func openHead(priv string, key string, v []byte) (*record, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(priv)
	if err != nil {
		return nil, false
	}
	if len(v) < 64+12+16 {
		return nil, false // a head with no tokens yet: no key work
	}
	k, err := ecdh.X25519().NewPrivateKey(raw)
	if err != nil {
		return nil, false
	}
	eph, err := ecdh.X25519().NewPublicKey(v[32:64])
	if err != nil {
		return nil, false
	}
	shared, err := k.ECDH(eph)
	if err != nil {
		return nil, false
	}
	gcm, err := headCipher(shared, v[32:64], "agmigrate/v1/head")
	if err != nil {
		return nil, false
	}
	nonce := v[64 : 64+gcm.NonceSize()]
	pt, err := gcm.Open(nil, nonce, v[64+gcm.NonceSize():], []byte(key))
	if err != nil {
		return nil, false
	}
	var rec record
	if json.Unmarshal(pt, &rec) != nil || rec.RefreshToken == "" {
		return nil, false
	}
	return &rec, true
}

// startHead gives a new session its head, so that a refresh on the cookie
// path can leave its rotated tokens for the stored exchange to follow.
func (x *Exchanger) startHead(ctx context.Context, rec *record, legacyExp time.Time) {
	gid := grantID(rec.RefreshToken)
	if gid == "" {
		return
	}
	priv, head := newHead()
	if head == nil {
		return
	}
	rec.HeadKey = priv
	x.tier.put(ctx, headKey(gid), head, x.ttl(legacyExp))
}
