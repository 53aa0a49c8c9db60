package passwords

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"

	"golang.org/x/crypto/scrypt"
)

// FirebaseParams are a Firebase project's password hash parameters, as the
// console shows them (Authentication › Users › ⋮ › Password hash
// parameters). They are secret: anyone holding them and an export can
// test guesses offline.
type FirebaseParams struct {
	SignerKey     string `json:"base64_signer_key"`     // base64
	SaltSeparator string `json:"base64_salt_separator"` // base64
	Rounds        int    `json:"rounds"`                // scrypt's r
	MemCost       int    `json:"mem_cost"`              // scrypt's N = 2^mem_cost
}

// firebaseHash is one user's Firebase scrypt hash with the project's
// parameters decoded.
type firebaseHash struct {
	signerKey, saltAndSep, key []byte
	n, r                       int
}

// FirebaseScrypt returns the Verifier for one account of a Firebase
// auth:export file: passwordHash and salt are the account's base64 fields.
//
// Firebase's modified scrypt derives a key with scrypt(password,
// salt‖salt separator, N=2^mem_cost, r=rounds, p=1), uses its first 32
// bytes as an AES-256 key, and encrypts the project's signer key in CTR
// mode with an all-zero IV; the result is the stored hash.
func FirebaseScrypt(p FirebaseParams, passwordHash, salt string) (Verifier, error) {
	f := FormatFirebaseScrypt
	if len(p.SignerKey) > MaxHashStringLen || len(passwordHash) > MaxHashStringLen || len(salt) > MaxHashStringLen || len(p.SaltSeparator) > MaxHashStringLen {
		return nil, malformed(f, "a field is longer than %d bytes", MaxHashStringLen)
	}
	signer, ok := decodeB64(p.SignerKey)
	if !ok || len(signer) == 0 {
		return nil, malformed(f, "the signer key is not base64")
	}
	sep, ok := decodeB64(p.SaltSeparator)
	if !ok {
		return nil, malformed(f, "the salt separator is not base64")
	}
	s, ok := decodeB64(salt)
	if !ok {
		return nil, malformed(f, "the salt is not base64")
	}
	key, ok := decodeB64(passwordHash)
	if !ok {
		return nil, malformed(f, "the password hash is not base64")
	}
	switch {
	case p.Rounds < 1 || p.MemCost < 1:
		return nil, malformed(f, "rounds and mem_cost must be at least 1")
	case p.Rounds > MaxScryptRounds:
		return nil, tooCostly(f, "rounds %d above %d", p.Rounds, MaxScryptRounds)
	case p.MemCost > MaxScryptMemCost:
		return nil, tooCostly(f, "mem_cost %d above %d", p.MemCost, MaxScryptMemCost)
	}
	saltAndSep := append(s, sep...)
	if err := checkLengths(f, saltAndSep, key); err != nil {
		return nil, err
	}
	if len(key) != len(signer) {
		return nil, malformed(f, "the password hash is not as long as the signer key")
	}
	return &firebaseHash{signerKey: signer, saltAndSep: saltAndSep, key: key, n: 1 << p.MemCost, r: p.Rounds}, nil
}

func (h *firebaseHash) Format() Format { return FormatFirebaseScrypt }

func (h *firebaseHash) Verify(password []byte) (bool, error) {
	if err := checkPassword(password); err != nil {
		return false, err
	}
	derived, err := scrypt.Key(password, h.saltAndSep, h.n, h.r, 1, 32)
	if err != nil {
		return false, malformed(FormatFirebaseScrypt, "scrypt refused the parameters")
	}
	block, err := aes.NewCipher(derived)
	if err != nil {
		return false, malformed(FormatFirebaseScrypt, "no AES key")
	}
	got := make([]byte, len(h.signerKey))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(got, h.signerKey)
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}
