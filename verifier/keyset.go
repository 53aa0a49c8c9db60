package verifier

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Key material from a JWK set is checked when the set is loaded, not when a
// token first names the key: crypto/ed25519 panics on a key of the wrong
// length, and a bad RSA or EC key is better named once, clearly, than
// refused token by token.

// errMalformedKey marks key material that no signature could be checked
// with (as opposed to a good key of a family this verifier does not use).
var errMalformedKey = errors.New("malformed key")

// RSA modulus sizes accepted for verification: below the minimum is weak,
// above the maximum only costs time.
const (
	minRSABits = 2048
	maxRSABits = 16384
)

// checkMaterial refuses public keys no signature can be checked with.
func checkMaterial(raw any) error {
	switch pub := raw.(type) {
	case *rsa.PublicKey:
		if pub.N == nil || pub.N.Sign() <= 0 || pub.N.Bit(0) == 0 {
			return errors.New("RSA modulus missing, not positive or even")
		}
		if b := pub.N.BitLen(); b < minRSABits || b > maxRSABits {
			return fmt.Errorf("RSA key of %d bits, want %d to %d", b, minRSABits, maxRSABits)
		}
		if pub.E < 3 || pub.E%2 == 0 || pub.E > 1<<31-1 {
			return fmt.Errorf("RSA exponent %d", pub.E)
		}
	case *ecdsa.PublicKey:
		if pub.Curve == nil || pub.X == nil || pub.Y == nil {
			return errors.New("EC key without curve or point")
		}
		switch pub.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return fmt.Errorf("EC curve %s not supported", pub.Curve.Params().Name)
		}
		if _, err := pub.ECDH(); err != nil {
			return errors.New("EC point not on its curve")
		}
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			return fmt.Errorf("Ed25519 key of %d bytes, want %d", len(pub), ed25519.PublicKeySize)
		}
	}
	return nil
}

// fetchParseOptions parse a fetched JWK set. A key jwx cannot parse is
// dropped instead of failing the whole set: one bad key published by the
// provider must not take the good ones down with it.
var fetchParseOptions = []jwk.ParseOption{jwk.WithIgnoreParseError(true)}

// keysFromSet converts a JWK set into keys. Keys that fit none of the
// allowed algorithms (an encryption key, another family) are skipped;
// malformed keys are left out and returned by kid with the reason; a
// private key in a JWKS is an error, so a leaked private set is noticed.
func keysFromSet(set jwk.Set, allowed []string) (keys map[string]*key, malformed map[string]string, err error) {
	keys = make(map[string]*key, set.Len())
	var skipped []string
	for i := 0; i < set.Len(); i++ {
		jk, _ := set.Key(i)
		if use := jk.KeyUsage(); use != "" && use != "sig" {
			continue
		}
		var raw any
		if err := jk.Raw(&raw); err != nil {
			malformed = addMalformed(malformed, jk.KeyID(), err.Error())
			continue
		}
		switch raw.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
			return nil, nil, fmt.Errorf("key %q is a private key; a JWKS must hold public keys only", jk.KeyID())
		}
		alg := ""
		if a := jk.Algorithm(); a != nil {
			alg = a.String()
		}
		k, err := newKey(jk.KeyID(), raw, alg, allowed)
		if errors.Is(err, errMalformedKey) {
			malformed = addMalformed(malformed, jk.KeyID(), err.Error())
			continue
		}
		if err != nil {
			skipped = append(skipped, err.Error())
			continue
		}
		if _, dup := keys[k.kid]; dup {
			return nil, nil, fmt.Errorf("two keys with kid %q", k.kid)
		}
		keys[k.kid] = k
	}
	if len(keys) == 0 {
		return nil, malformed, fmt.Errorf("no usable signing key (skipped: %v; malformed: %v)", skipped, malformed)
	}
	return keys, malformed, nil
}

func addMalformed(m map[string]string, kid, why string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[kid] = why
	return m
}

// firstMalformed names one malformed key, for a configuration error.
func firstMalformed(m map[string]string) string {
	for kid, why := range m {
		return fmt.Sprintf("key %q: %s", kid, why)
	}
	return ""
}
