package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// SignatureHeader is the header Authgear puts its body signature in.
const SignatureHeader = "X-Authgear-Body-Signature"

// Sign returns the signature Authgear sends for body under secret: the
// lowercase hex of HMAC-SHA256(secret, body). Tests and tools use it to make
// deliveries.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks sig, the value of the SignatureHeader, against
// body. It returns ErrUnsigned for an empty sig and ErrBadSignature for any
// other mismatch; the comparison takes the same time whatever the input.
func VerifySignature(secret, body []byte, sig string) error {
	if sig == "" {
		return ErrUnsigned
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: not %d hex digits", ErrBadSignature, 2*sha256.Size)
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}

// SecretFromJWK returns the secret octets of the webhook key as Authgear
// stores it in authgear.secrets.yaml (the "k" of the octet JWK in the
// "webhook" secret, base64url). Self-hosted projects take the secret from
// there; the portal shows the octets themselves, which are used as they are
// ([]byte(secret)).
func SecretFromJWK(k string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k, "="))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: the key is not base64url", ErrInvalidConfig)
	}
	return b, nil
}
