package verifier

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// key is a verification key bound to the algorithms it may verify.
type key struct {
	kid    string
	algs   []string // allowed algorithms, all of the key's family
	rsa    *rsa.PublicKey
	ec     *ecdsa.PublicKey
	ed     ed25519.PublicKey
	secret []byte

	// withdrawn is set once a fetched key set no longer has this key
	// (dropped, or another key under its kid): the verifications it made
	// stop counting. A flag on the key costs a cache hit one load, where
	// finding the key in the current set costs a map lookup.
	withdrawn atomic.Bool
}

func (k *key) allows(alg string) bool { return slices.Contains(k.algs, alg) }

// same reports whether two keys verify exactly the same signatures.
func (k *key) same(o *key) bool {
	if k.kid != o.kid || !slices.Equal(k.algs, o.algs) {
		return false
	}
	switch {
	case k.rsa != nil:
		return o.rsa != nil && k.rsa.Equal(o.rsa)
	case k.ec != nil:
		return o.ec != nil && k.ec.Equal(o.ec)
	case k.ed != nil:
		return o.ed != nil && k.ed.Equal(o.ed)
	}
	return o.secret != nil && hmac.Equal(k.secret, o.secret)
}

// keySource finds the key for a kid. kid may be "" when the source holds
// exactly one key and the token names none. now is the verifier's clock
// reading for the token, which a remote source uses to tell when to pick
// up a refresh, saving it a reading of its own.
type keySource interface {
	lookup(ctx context.Context, kid string, now time.Time) (*key, error)
	keyHolder
}

// newKey binds a public key (or HMAC secret) to the allowed algorithms of
// its family. A JWK "alg" narrows them to that one algorithm, which must
// itself be allowed.
func newKey(kid string, raw any, jwkAlg string, allowed []string) (*key, error) {
	if err := checkMaterial(raw); err != nil {
		return nil, fmt.Errorf("%w: key %q: %v", errMalformedKey, kid, err)
	}
	k := &key{kid: kid}
	family := ""
	switch pub := raw.(type) {
	case *rsa.PublicKey:
		k.rsa, family = pub, "RSA"
	case *ecdsa.PublicKey:
		k.ec, family = pub, "EC"
	case ed25519.PublicKey:
		k.ed, family = pub, "OKP"
	case []byte:
		if len(pub) < 32 {
			return nil, fmt.Errorf("HMAC secret of %d bytes, want at least 32", len(pub))
		}
		k.secret, family = pub, "HMAC"
	default:
		return nil, fmt.Errorf("key %q: unsupported key type %T (a private key where a public one belongs?)", kid, raw)
	}
	for _, a := range allowed {
		info, ok := algs[a]
		if !ok {
			return nil, fmt.Errorf("unknown algorithm %q", a)
		}
		fam := info.family
		if fam == "RSA-PSS" {
			fam = "RSA"
		}
		if fam != family || (family == "EC" && info.curve != k.ec.Curve.Params().Name) {
			continue
		}
		if jwkAlg != "" && jwkAlg != a {
			continue
		}
		k.algs = append(k.algs, a)
	}
	if len(k.algs) == 0 {
		if jwkAlg != "" {
			return nil, fmt.Errorf("key %q is for %s, which is not allowed", kid, jwkAlg)
		}
		return nil, fmt.Errorf("key %q (%s) fits none of the allowed algorithms %v", kid, family, allowed)
	}
	return k, nil
}

// staticKeys is a fixed set of keys.
type staticKeys map[string]*key

// holds is always true: a static set never changes.
func (s staticKeys) holds(*key, time.Time) bool { return true }

func (s staticKeys) lookup(_ context.Context, kid string, _ time.Time) (*key, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	// With a single key there is no ambiguity, whatever kid the token names
	// (PEM keys have no kid of their own).
	if len(s) == 1 {
		for _, k := range s {
			return k, nil
		}
	}
	if kid == "" {
		return nil, invalid(ErrUnknownKey, "no kid header and more than one key")
	}
	return nil, invalid(ErrUnknownKey, "kid %q", kid)
}

// parsePEMKeys reads public keys (or certificates) from PEM data.
func parsePEMKeys(data []byte, allowed []string) (staticKeys, error) {
	out := staticKeys{}
	for i := 0; ; i++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		jk, err := jwk.ParseKey(pem.EncodeToMemory(block), jwk.WithPEM(true))
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %v", i, err)
		}
		var raw any
		if err := jk.Raw(&raw); err != nil {
			return nil, err
		}
		if _, ok := raw.(*rsa.PrivateKey); ok {
			return nil, errors.New("a PEM private key was given where a public key belongs")
		}
		kid := fmt.Sprint(i)
		if tp, err := jk.Thumbprint(crypto.SHA256); err == nil {
			kid = fmt.Sprintf("%x", tp[:8])
		}
		k, err := newKey(kid, raw, "", allowed)
		if err != nil {
			return nil, err
		}
		out[kid] = k
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM block found")
	}
	return out, nil
}
