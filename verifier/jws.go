package verifier

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"math/big"
	"strings"
	"sync"
	"time"
)

// DefaultMaxTokenSize bounds the tokens Verify looks at; larger ones are
// refused before any decoding. Authgear's access tokens are about 1 KB.
const DefaultMaxTokenSize = 16 << 10

// header is the part of a JWS protected header the checks need. Keys named
// in the token itself (jwk, jku, x5u, x5c) are never used. Parameter names
// match exactly and once, as claim names do.
type header struct {
	Alg  string
	Kid  string
	Typ  string
	Crit bool // a non-null "crit" is present
}

func (h *header) field(s *scanner, k string) (uint32, error) {
	var err error
	switch k {
	case "alg":
		h.Alg, err = s.optStr()
		return 1 << 0, err
	case "kid":
		h.Kid, err = s.optStr()
		return 1 << 1, err
	case "typ":
		h.Typ, err = s.optStr()
		return 1 << 2, err
	case "crit":
		h.Crit = !s.null()
		if h.Crit {
			err = s.skip(1)
		}
		return 1 << 3, err
	}
	return 0, s.skip(1)
}

// compact is a compact JWS split into its parts, signature not yet checked.
type compact struct {
	hdr          *header
	signingInput string // header "." payload, what the signature covers
	payload      string // still base64url
	sig          []byte
}

// headerCache remembers decoded header segments: every token signed by one
// key with one alg shares the same header bytes, so most tokens skip the
// header's base64 and JSON decoding. Bounded; reset when full.
type headerCache struct {
	mu sync.RWMutex
	m  map[string]*header
}

const maxCachedHeaders = 256

func (c *headerCache) get(seg string) (*header, bool) {
	c.mu.RLock()
	h, ok := c.m[seg]
	c.mu.RUnlock()
	return h, ok
}

func (c *headerCache) put(seg string, h *header) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedHeaders {
		c.m = make(map[string]*header, 16)
	}
	c.m[seg] = h
	c.mu.Unlock()
}

var headers headerCache

// maxStackSig is the largest signature decoded into a caller's stack
// buffer: RSA-4096. Longer ones (RSA keys up to maxRSABits) are decoded
// into a new slice.
const maxStackSig = 512

// parseCompact splits and decodes a compact JWS without trusting it. The
// signature is decoded into sigBuf when it fits (callers pass a stack
// buffer of maxStackSig bytes), so a first-seen token allocates for its
// payload and its claims only.
func parseCompact(tok string, maxSize int, sigBuf []byte) (compact, error) {
	if len(tok) > maxSize {
		return compact{}, invalid(ErrTooLarge, "%d bytes, limit %d", len(tok), maxSize)
	}
	d1 := strings.IndexByte(tok, '.')
	if d1 <= 0 {
		return compact{}, invalid(ErrMalformed, "not a compact JWS")
	}
	d2 := d1 + 1 + strings.IndexByte(tok[d1+1:], '.')
	if d2 <= d1 || strings.IndexByte(tok[d2+1:], '.') >= 0 {
		return compact{}, invalid(ErrMalformed, "a compact JWS has exactly three parts")
	}
	hseg := tok[:d1]
	h, ok := headers.get(hseg)
	if !ok {
		raw, err := b64decode(hseg)
		if err != nil {
			return compact{}, invalid(ErrMalformed, "header is not base64url")
		}
		h = new(header)
		if err := scanClaims(raw, h); err != nil {
			return compact{}, invalid(ErrMalformed, "header is not a JSON object of distinct parameters")
		}
		if h.Crit {
			// No extension is understood, so any critical one is refused
			// (RFC 7515, 4.1.11).
			return compact{}, invalid(ErrCritical, "crit header present")
		}
		headers.put(hseg, h)
	}
	if h.Alg == "" || strings.EqualFold(h.Alg, "none") {
		return compact{}, invalid(ErrAlgorithm, "unsigned token (alg %q)", h.Alg)
	}
	sig, err := b64decodeInto(sigBuf, tok[d2+1:])
	if err != nil || len(sig) == 0 {
		return compact{}, invalid(ErrMalformed, "signature is not base64url")
	}
	return compact{hdr: h, signingInput: tok[:d2], payload: tok[d1+1 : d2], sig: sig}, nil
}

// algInfo describes a JWS algorithm: its family and hash.
type algInfo struct {
	family string // "RSA", "RSA-PSS", "EC", "OKP", "HMAC"
	hash   crypto.Hash
	curve  string // for EC
}

var algs = map[string]algInfo{
	"RS256": {"RSA", crypto.SHA256, ""}, "RS384": {"RSA", crypto.SHA384, ""}, "RS512": {"RSA", crypto.SHA512, ""},
	"PS256": {"RSA-PSS", crypto.SHA256, ""}, "PS384": {"RSA-PSS", crypto.SHA384, ""}, "PS512": {"RSA-PSS", crypto.SHA512, ""},
	"ES256": {"EC", crypto.SHA256, "P-256"}, "ES384": {"EC", crypto.SHA384, "P-384"}, "ES512": {"EC", crypto.SHA512, "P-521"},
	"EdDSA": {"OKP", 0, ""},
	"HS256": {"HMAC", crypto.SHA256, ""}, "HS384": {"HMAC", crypto.SHA384, ""}, "HS512": {"HMAC", crypto.SHA512, ""},
}

// verify checks the signature of c with k. The algorithm must be one the
// key is bound to; the key type decides the family, so an HMAC alg can
// never be checked with a public key.
func (c *compact) verify(k *key) error {
	if !k.allows(c.hdr.Alg) {
		return invalid(ErrAlgorithm, "%s not allowed for key %q", c.hdr.Alg, k.kid)
	}
	info := algs[c.hdr.Alg]
	var sum [64]byte // the digest lives on the stack
	digest := hashInto(&sum, info.hash, unsafeBytes(c.signingInput))
	ok := false
	switch info.family {
	case "RSA":
		ok = rsa.VerifyPKCS1v15(k.rsa, info.hash, digest, c.sig) == nil
	case "RSA-PSS":
		// crypto/rsa keeps the digest it is given for PSS (as far as the
		// compiler can tell), which would move sum, and with it every
		// token's digest, to the heap: PSS pays for a copy instead.
		ok = rsa.VerifyPSS(k.rsa, info.hash, bytes.Clone(digest), c.sig, &pssOptions) == nil
	case "EC":
		size := (k.ec.Curve.Params().BitSize + 7) / 8
		if len(c.sig) == 2*size {
			r := new(big.Int).SetBytes(c.sig[:size])
			s := new(big.Int).SetBytes(c.sig[size:])
			ok = ecdsa.Verify(k.ec, digest, r, s)
		}
	case "OKP":
		ok = ed25519.Verify(k.ed, unsafeBytes(c.signingInput), c.sig)
	case "HMAC":
		m := hmac.New(info.hash.New, k.secret)
		m.Write([]byte(c.signingInput)) // a copy: the hash.Hash interface keeps what it is given, as far as the compiler can tell
		ok = hmac.Equal(m.Sum(nil), c.sig)
	}
	if !ok {
		return invalid(ErrSignature, "")
	}
	return nil
}

var pssOptions = rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

// hashInto returns the digest of in under h (one of the SHA-2 hashes algs
// names), kept in sum; nil for any other. The one-shot functions keep the
// hash state off the heap, which h.New() does not.
func hashInto(sum *[64]byte, h crypto.Hash, in []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(in)
		return sum[:copy(sum[:], d[:])]
	case crypto.SHA384:
		d := sha512.Sum384(in)
		return sum[:copy(sum[:], d[:])]
	case crypto.SHA512:
		d := sha512.Sum512(in)
		return sum[:copy(sum[:], d[:])]
	}
	return nil // EdDSA hashes for itself
}

// verifiedPayload finds c's key, checks the signature, and decodes the
// payload: the part every JWT verifier here shares. It returns the key too,
// so the verification is cached only as long as the key is in the set.
func verifiedPayload(ctx context.Context, c *compact, keys keySource, now time.Time) ([]byte, *key, error) {
	k, err := keys.lookup(ctx, c.hdr.Kid, now)
	if err != nil {
		return nil, nil, err
	}
	if err := c.verify(k); err != nil {
		return nil, nil, err
	}
	raw, err := b64decode(c.payload)
	if err != nil {
		return nil, nil, invalid(ErrMalformed, "payload is not base64url")
	}
	return raw, k, nil
}
