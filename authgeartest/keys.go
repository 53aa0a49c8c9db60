package authgeartest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// RSA key generation is slow (tens of milliseconds, more under -race), so
// the first keys are made once per process and shared by every Server.
// Keys made by RotateSigningKey are always fresh.
var (
	sharedMu   sync.Mutex
	sharedKeys []*rsa.PrivateKey
)

func sharedKey(i int) *rsa.PrivateKey {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for len(sharedKeys) <= i {
		sharedKeys = append(sharedKeys, newRSAKey())
	}
	return sharedKeys[i]
}

func newRSAKey() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("authgeartest: generating an RSA key: " + err.Error())
	}
	return k
}

var kidSeq struct {
	sync.Mutex
	n int
}

// signingKey is a key of the project's "oauth" secret: it signs access and
// ID tokens and is published in the JWKS.
type signingKey struct {
	kid     string
	priv    jwk.Key
	pub     jwk.Key
	created time.Time
}

func newSigningKey(priv *rsa.PrivateKey, now time.Time) *signingKey {
	kidSeq.Lock()
	kidSeq.n++
	kid := fmt.Sprintf("fake-signing-key-%d", kidSeq.n)
	kidSeq.Unlock()
	k, err := jwk.FromRaw(priv)
	if err != nil {
		panic("authgeartest: " + err.Error())
	}
	_ = k.Set(jwk.KeyIDKey, kid)
	_ = k.Set(jwk.AlgorithmKey, jwa.RS256)
	_ = k.Set(jwk.KeyUsageKey, "sig")
	pub, err := k.PublicKey()
	if err != nil {
		panic("authgeartest: " + err.Error())
	}
	return &signingKey{kid: kid, priv: k, pub: pub, created: now}
}

// RotateSigningKey makes a new signing key, which signs every token from
// now on, and returns its kid. With keepOld the previous keys stay in the
// JWKS (tokens they signed keep verifying); without, they are removed.
func (s *Server) RotateSigningKey(keepOld bool) string {
	k := newSigningKey(newRSAKey(), s.opts.Now())
	s.mu.Lock()
	defer s.mu.Unlock()
	if keepOld {
		s.signingKeys = append([]*signingKey{k}, s.signingKeys...)
	} else {
		s.signingKeys = []*signingKey{k}
	}
	return k.kid
}

// SigningKeyID returns the kid of the key that signs tokens now.
func (s *Server) SigningKeyID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signingKeys[0].kid
}

// SigningKey returns the private key that signs tokens now, so a test can
// forge tokens the fake would have issued.
func (s *Server) SigningKey() jwk.Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signingKeys[0].priv
}

// AddAdminKey adds a second admin key (as during key rotation in the
// portal) and returns it with its key ID; both keys are accepted.
func (s *Server) AddAdminKey(kid string) *rsa.PrivateKey {
	priv := newRSAKey()
	s.mu.Lock()
	s.adminKeys = append(s.adminKeys, &adminKeyPair{kid: kid, priv: priv})
	s.mu.Unlock()
	return priv
}

func pemPKCS8(priv *rsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		panic("authgeartest: " + err.Error())
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
