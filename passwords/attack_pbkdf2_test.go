package passwords

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"testing"

	"golang.org/x/crypto/pbkdf2"
)

// countingHash counts the digests PBKDF2's HMAC finishes: two per HMAC.
type countingHash struct {
	hash.Hash
	n *int
}

func (c countingHash) Sum(b []byte) []byte { *c.n++; return c.Hash.Sum(b) }

// hmacCount parses hashString, runs one Verify with a counting digest, and
// returns how many HMACs the check cost.
func hmacCount(t *testing.T, hashString string, digest func() hash.Hash) int {
	t.Helper()
	v, err := Parse(hashString)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	h := v.(*pbkdf2Hash)
	n := 0
	h.digest = func() hash.Hash { return countingHash{digest(), &n} }
	if _, err := h.Verify([]byte("password")); err != nil {
		t.Fatal(err)
	}
	return n / 2
}

// A PBKDF2 hash may ask for a derived key of up to MaxHashLen bytes, and
// PBKDF2 runs its full iteration count once per digest-sized block of the
// key: a 128-byte SHA-1 key is 7 blocks, so MaxPBKDF2Iterations would buy
// seven times the documented cost. The check must cost at most the
// iterations the hash states, whatever its key length.
func TestAttackPBKDF2KeyLengthCost(t *testing.T) {
	const iter = 1000
	salt := make([]byte, 16)
	rand.Read(salt)
	b64 := base64.RawStdEncoding.EncodeToString
	for _, c := range []struct {
		name   string
		digest func() hash.Hash
	}{{"sha1", sha1.New}, {"sha256", sha256.New}, {"sha512", sha512.New}} {
		t.Run(c.name, func(t *testing.T) {
			size := c.digest().Size()
			one := pbkdf2.Key([]byte("password"), salt, iter, size, c.digest)
			bound := hmacCount(t, fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", c.name, iter, size, b64(salt), b64(one)), c.digest)
			long := pbkdf2.Key([]byte("password"), salt, iter, MaxHashLen, c.digest)
			hostile := fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", c.name, iter, MaxHashLen, b64(salt), b64(long))
			got := hmacCount(t, hostile, c.digest)
			if got > bound {
				t.Errorf("a %d-byte key costs %d HMACs, the stated %d iterations cost %d (%.1f×)", MaxHashLen, got, iter, bound, float64(got)/float64(bound))
			}
			// The long key is still checked: right password yes, wrong no.
			for _, k := range []struct {
				hash, password string
				want           bool
			}{
				{hostile, "password", true},
				{hostile, "Password", false},
			} {
				if ok, err := Verify(k.hash, []byte(k.password)); err != nil || ok != k.want {
					t.Errorf("Verify(%q) = %v, %v; want %v", k.password, ok, err, k.want)
				}
			}
		})
	}
}
