package verifier_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// A cached token allocates nothing, and a first-seen one allocates, beyond
// what crypto/rsa allocates for the signature check itself, its decoded
// payload, its claims and an audience of one: the header, the signature,
// the digest and the claims scanner stay off the heap.
func TestAuthgearAllocations(t *testing.T) {
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	t.Cleanup(fake.Close)
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	toks := make([]string, 8)
	for i := range toks {
		toks[i] = session(t, fake, alice, "test-client")
	}
	k, _ := fake.PublicKeys().Key(0)
	pub := new(rsa.PublicKey)
	if err := k.Raw(pub); err != nil {
		t.Fatal(err)
	}
	ctx := bg(t)
	mk := func(size int) *verifier.Authgear {
		v, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL, CacheSize: size})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(v.Close)
		return v
	}
	cached, tiny := mk(0), mk(1)

	if _, err := cached.Verify(ctx, toks[0]); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = cached.Verify(ctx, toks[0]) }); n != 0 {
		t.Errorf("a cache hit allocates %v times, want 0", n)
	}

	dot := strings.LastIndexByte(toks[0], '.')
	input := []byte(toks[0][:dot])
	sig, _ := base64.RawURLEncoding.DecodeString(toks[0][dot+1:])
	floor := testing.AllocsPerRun(100, func() {
		h := sha256.Sum256(input)
		_ = rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig)
	})
	i := 0
	first := testing.AllocsPerRun(100, func() {
		i++
		if _, err := tiny.Verify(ctx, toks[i%len(toks)]); err != nil {
			t.Fatal(err)
		}
	})
	if own := first - floor; own > 3 {
		t.Errorf("a first-seen token allocates %v times beyond crypto/rsa's %v, want at most 3", own, floor)
	}
}
