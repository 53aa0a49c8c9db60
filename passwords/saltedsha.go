package passwords

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"hash"
)

// SaltedSHAParams say how a salted SHA-2 hash was made. There is no
// standard notation for these, so each setting must be stated.
type SaltedSHAParams struct {
	// Algorithm is "sha256" or "sha512".
	Algorithm string `json:"algorithm"`
	// Position is "prefix" for SHA(salt‖password) or "suffix" for
	// SHA(password‖salt).
	Position string `json:"salt_position"`
	// SaltEncoding is how the salt string is written: "utf8" (its bytes
	// are the salt), "hex" or "base64" (standard alphabet).
	SaltEncoding string `json:"salt_encoding"`
}

type saltedSHA struct {
	digest    func() hash.Hash
	prefix    bool
	salt, key []byte
}

// SaltedSHA returns the Verifier for a salted SHA-256 or SHA-512 hash.
// digest is the stored hash in hex or standard base64 (told apart by
// length); salt is written as p.SaltEncoding says.
func SaltedSHA(p SaltedSHAParams, digest, salt string) (Verifier, error) {
	f := FormatSaltedSHA
	if len(digest) > MaxHashStringLen || len(salt) > MaxHashStringLen {
		return nil, malformed(f, "a field is longer than %d bytes", MaxHashStringLen)
	}
	h := &saltedSHA{}
	var size int
	switch p.Algorithm {
	case "sha256":
		h.digest, size = sha256.New, sha256.Size
	case "sha512":
		h.digest, size = sha512.New, sha512.Size
	default:
		return nil, unsupported(f, "algorithm must be sha256 or sha512")
	}
	switch p.Position {
	case "prefix":
		h.prefix = true
	case "suffix":
	default:
		return nil, malformed(f, "salt_position must be prefix or suffix")
	}
	var err error
	switch p.SaltEncoding {
	case "utf8":
		h.salt = []byte(salt)
	case "hex":
		h.salt, err = hex.DecodeString(salt)
	case "base64":
		h.salt, err = base64.StdEncoding.Strict().DecodeString(salt)
	default:
		return nil, malformed(f, "salt_encoding must be utf8, hex or base64")
	}
	if err != nil {
		return nil, malformed(f, "the salt is not %s", p.SaltEncoding)
	}
	switch len(digest) {
	case 2 * size:
		h.key, err = hex.DecodeString(digest)
	case base64.StdEncoding.EncodedLen(size):
		h.key, err = base64.StdEncoding.Strict().DecodeString(digest)
	default:
		return nil, malformed(f, "the hash is neither hex nor base64 of a %s digest", p.Algorithm)
	}
	if err != nil {
		return nil, malformed(f, "the hash is neither hex nor base64")
	}
	if err := checkLengths(f, h.salt, h.key); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *saltedSHA) Format() Format { return FormatSaltedSHA }

func (h *saltedSHA) Verify(password []byte) (bool, error) {
	if err := checkPassword(password); err != nil {
		return false, err
	}
	d := h.digest()
	if h.prefix {
		d.Write(h.salt)
		d.Write(password)
	} else {
		d.Write(password)
		d.Write(h.salt)
	}
	return subtle.ConstantTimeCompare(d.Sum(nil), h.key) == 1, nil
}
