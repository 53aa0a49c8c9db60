package verifier

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"

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
}

func (k *key) allows(alg string) bool { return slices.Contains(k.algs, alg) }

// keySource finds the key for a kid. kid may be "" when the source holds
// exactly one key and the token names none.
type keySource interface {
	lookup(ctx context.Context, kid string) (*key, error)
}

// minRSABits is the smallest RSA modulus accepted for verification.
const minRSABits = 2048

// newKey binds a public key (or HMAC secret) to the allowed algorithms of
// its family. A JWK "alg" narrows them to that one algorithm, which must
// itself be allowed.
func newKey(kid string, raw any, jwkAlg string, allowed []string) (*key, error) {
	k := &key{kid: kid}
	family := ""
	switch pub := raw.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key %q has %d bits, want at least %d", kid, pub.N.BitLen(), minRSABits)
		}
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

// keysFromSet converts a JWK set into keys. Keys that fit none of the
// allowed algorithms (an encryption key, another family) are skipped; a
// private key in a JWKS is an error, so a leaked private set is noticed.
func keysFromSet(set jwk.Set, allowed []string) (map[string]*key, error) {
	out := make(map[string]*key, set.Len())
	var skipped []string
	for i := 0; i < set.Len(); i++ {
		jk, _ := set.Key(i)
		if use := jk.KeyUsage(); use != "" && use != "sig" {
			continue
		}
		var raw any
		if err := jk.Raw(&raw); err != nil {
			skipped = append(skipped, fmt.Sprintf("%q: %v", jk.KeyID(), err))
			continue
		}
		switch raw.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			return nil, fmt.Errorf("key %q is a private key; a JWKS must hold public keys only", jk.KeyID())
		}
		alg := ""
		if a := jk.Algorithm(); a != nil {
			alg = a.String()
		}
		k, err := newKey(jk.KeyID(), raw, alg, allowed)
		if err != nil {
			skipped = append(skipped, err.Error())
			continue
		}
		if _, dup := out[k.kid]; dup {
			return nil, fmt.Errorf("two keys with kid %q", k.kid)
		}
		out[k.kid] = k
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no usable signing key (skipped: %v)", skipped)
	}
	return out, nil
}

// staticKeys is a fixed set of keys.
type staticKeys map[string]*key

func (s staticKeys) lookup(_ context.Context, kid string) (*key, error) {
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
