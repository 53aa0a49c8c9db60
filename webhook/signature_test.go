package webhook_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/webhook"
)

// The real delivery verifies with the real key, and the key in
// authgear.secrets.yaml form decodes to the same octets.
func TestRecordedDeliveryVerifies(t *testing.T) {
	r := loadRecorded(t)
	if err := webhook.VerifySignature(r.secret, []byte(r.Body), r.Signature); err != nil {
		t.Fatalf("recorded delivery: %v", err)
	}
	if got := webhook.Sign(r.secret, []byte(r.Body)); got != r.Signature {
		t.Errorf("Sign = %s, want %s", got, r.Signature)
	}
	k, err := webhook.SecretFromJWK(r.K)
	if err != nil || !bytes.Equal(k, r.secret) {
		t.Errorf("SecretFromJWK = %x, %v; want %x", k, err, r.secret)
	}
	// Using the base64url "k" string itself as the key is a mistake the
	// recordings rule out; it must not verify.
	if err := webhook.VerifySignature([]byte(r.K), []byte(r.Body), r.Signature); !errors.Is(err, webhook.ErrBadSignature) {
		t.Errorf("k as the key: %v, want ErrBadSignature", err)
	}
}

func TestVerifySignatureRefuses(t *testing.T) {
	r := loadRecorded(t)
	body := []byte(r.Body)
	flipped := func(i int) []byte {
		b := append([]byte(nil), body...)
		b[i] ^= 0x01
		return b
	}
	otherKey := append([]byte(nil), r.secret...)
	otherKey[0] ^= 0xff
	tests := []struct {
		name   string
		secret []byte
		body   []byte
		sig    string
		want   error
	}{
		{"unsigned", r.secret, body, "", webhook.ErrUnsigned},
		{"flipped first byte", r.secret, flipped(0), r.Signature, webhook.ErrBadSignature},
		{"flipped byte in the email", r.secret, flipped(strings.Index(r.Body, "rec7-webhook")), r.Signature, webhook.ErrBadSignature},
		{"flipped last byte", r.secret, flipped(len(body) - 1), r.Signature, webhook.ErrBadSignature},
		{"appended byte", r.secret, append(append([]byte(nil), body...), ' '), r.Signature, webhook.ErrBadSignature},
		{"wrong key", otherKey, body, r.Signature, webhook.ErrBadSignature},
		{"truncated signature", r.secret, body, r.Signature[:62], webhook.ErrBadSignature},
		{"not hex", r.secret, body, strings.Repeat("zz", 32), webhook.ErrBadSignature},
		{"scheme prefix", r.secret, body, "sha256=" + r.Signature, webhook.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := webhook.VerifySignature(tt.secret, tt.body, tt.sig); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
