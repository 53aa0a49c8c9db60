package passwords

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"strings"

	"golang.org/x/crypto/pbkdf2"
)

// pbkdf2Hash is PBKDF2-HMAC with a known digest, salt, count and key.
type pbkdf2Hash struct {
	format     Format
	digest     func() hash.Hash
	iterations int
	salt, key  []byte
}

func (h *pbkdf2Hash) Format() Format { return h.format }

func (h *pbkdf2Hash) Verify(password []byte) (bool, error) {
	if err := checkPassword(password); err != nil {
		return false, err
	}
	// PBKDF2 runs the whole iteration count again for every digest-sized
	// block of the key, so a stored key of MaxHashLen bytes would make a
	// SHA-1 check cost seven times MaxPBKDF2Iterations. The blocks are
	// independent, and the first alone (at least MinHashLen bytes) is as
	// hard to match by a wrong password as the whole key: compare that.
	n := min(len(h.key), h.digest().Size())
	got := pbkdf2.Key(password, h.salt, h.iterations, n, h.digest)
	return subtle.ConstantTimeCompare(got, h.key[:n]) == 1, nil
}

// newPBKDF2 checks the bounds shared by every PBKDF2 notation.
func newPBKDF2(f Format, digest func() hash.Hash, iterations int, salt, key []byte) (*pbkdf2Hash, error) {
	if iterations < 1 {
		return nil, malformed(f, "iteration count below 1")
	}
	if iterations > MaxPBKDF2Iterations {
		return nil, tooCostly(f, "%d iterations above %d", iterations, MaxPBKDF2Iterations)
	}
	if err := checkLengths(f, salt, key); err != nil {
		return nil, err
	}
	return &pbkdf2Hash{format: f, digest: digest, iterations: iterations, salt: salt, key: key}, nil
}

// digestByName maps the digest names PHC strings, passlib and Keycloak use.
func digestByName(name string) (func() hash.Hash, bool) {
	switch name {
	case "sha1":
		return sha1.New, true
	case "sha256":
		return sha256.New, true
	case "sha512":
		return sha512.New, true
	}
	return nil, false
}

// parseDjangoPBKDF2 reads Django's <algorithm>$<iterations>$<salt>$<hash>
// for the algorithms pbkdf2_sha256 and pbkdf2_sha1. The salt is used as
// its UTF-8 bytes; the hash is standard base64 of a key as long as the
// digest, as Django's PBKDF2PasswordHasher writes it.
func parseDjangoPBKDF2(s string) (Verifier, error) {
	f := FormatPBKDF2Django
	parts := strings.Split(s, "$")
	if len(parts) != 4 {
		return nil, malformed(f, "want algorithm$iterations$salt$hash")
	}
	var digest func() hash.Hash
	var size int
	switch parts[0] {
	case "pbkdf2_sha256":
		digest, size = sha256.New, sha256.Size
	case "pbkdf2_sha1":
		digest, size = sha1.New, sha1.Size
	default:
		return nil, unsupported(f, "only Django's pbkdf2_sha256 and pbkdf2_sha1 are read")
	}
	n, ok := parseUint(parts[1])
	if !ok {
		return nil, malformed(f, "the iteration count is not a number")
	}
	if parts[2] == "" {
		return nil, malformed(f, "empty salt")
	}
	key, ok := decodeB64(parts[3])
	if !ok {
		return nil, malformed(f, "the hash is not base64")
	}
	if len(key) != size {
		return nil, malformed(f, "the hash is not %d bytes long", size)
	}
	return asVerifier(newPBKDF2(f, digest, n, []byte(parts[2]), key))
}

// parsePHCPBKDF2 reads the two notations that start with $pbkdf2:
//
//   - PHC: $pbkdf2-<digest>$i=<iterations>[,l=<key length>]$salt$hash, salt and
//     hash in standard base64 without padding (what Keycloak credentials
//     are converted to, and what node's @phc/pbkdf2 writes);
//   - passlib: $pbkdf2$<rounds>$salt$hash for SHA-1 and
//     $pbkdf2-sha256$… / $pbkdf2-sha512$… with a bare round count, salt and
//     hash in passlib's adapted base64 ("." for "+").
//
// The parameter field tells them apart: "i=" for PHC, digits for passlib.
func parsePHCPBKDF2(s string) (Verifier, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 || parts[0] != "" {
		return nil, malformed(FormatPBKDF2PHC, "want $pbkdf2-<digest>$<parameters>$salt$hash")
	}
	name := parts[1]
	digestName := "sha1"
	if name != "pbkdf2" {
		d, ok := strings.CutPrefix(name, "pbkdf2-")
		if !ok {
			return nil, unsupported(FormatPBKDF2PHC, "unknown identifier")
		}
		digestName = d
	}
	digest, ok := digestByName(digestName)
	if !ok {
		return nil, unsupported(FormatPBKDF2PHC, "digest is not sha1, sha256 or sha512")
	}
	if params, isPHC := strings.CutPrefix(parts[2], "i="); isPHC {
		f := FormatPBKDF2PHC
		iterStr, lenStr, hasLen := strings.Cut(params, ",l=")
		n, ok := parseUint(iterStr)
		if !ok {
			return nil, malformed(f, "the iteration count is not a number")
		}
		salt, ok1 := decodeB64(parts[3])
		key, ok2 := decodeB64(parts[4])
		if !ok1 || !ok2 {
			return nil, malformed(f, "salt or hash is not base64")
		}
		if hasLen {
			l, ok := parseUint(lenStr)
			if !ok || l != len(key) {
				return nil, malformed(f, "l= does not match the hash's length")
			}
		}
		return asVerifier(newPBKDF2(f, digest, n, salt, key))
	}
	f := FormatPBKDF2Passlib
	n, ok := parseUint(parts[2])
	if !ok {
		return nil, malformed(f, "the round count is not a number")
	}
	salt, ok1 := decodeAB64(parts[3])
	key, ok2 := decodeAB64(parts[4])
	if !ok1 || !ok2 {
		return nil, malformed(f, "salt or hash is not adapted base64")
	}
	return asVerifier(newPBKDF2(f, digest, n, salt, key))
}

// asVerifier keeps a nil *pbkdf2Hash from becoming a non-nil Verifier.
func asVerifier(h *pbkdf2Hash, err error) (Verifier, error) {
	if err != nil {
		return nil, err
	}
	return h, nil
}
