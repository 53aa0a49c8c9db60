package verifier

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Every token a key verifies uses the one *rsa.PublicKey made when the set
// was loaded, not one rebuilt from the JWK per call; a refresh that
// publishes the same key again keeps that very key (and the cached
// verifications it made), and one that changes it under the same kid does
// not.
func TestRemoteKeysReuseOnePublicKey(t *testing.T) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parse := func(pk *rsa.PublicKey) jwk.Set {
		t.Helper()
		k, err := jwk.FromRaw(pk)
		if err != nil {
			t.Fatal(err)
		}
		_ = k.Set(jwk.KeyIDKey, "k1")
		set := jwk.NewSet()
		_ = set.AddKey(k)
		// Through JSON, as a fetch gives it: a new jwk.Set every time.
		b, _ := json.Marshal(set)
		out, err := jwk.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	r := &remoteKeys{url: "https://keys.example/jwks", allowed: []string{"RS256"}, now: time.Now, sync: time.Hour}
	if err := r.install(parse(&priv.PublicKey)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	k1, err := r.lookup(ctx, "k1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := r.lookup(ctx, "k1", time.Now())
	if k1 != k2 || k1.rsa != k2.rsa || k1.rsa == nil {
		t.Fatalf("two lookups gave keys %p/%p, public keys %p/%p", k1, k2, k1.rsa, k2.rsa)
	}
	if err := r.install(parse(&priv.PublicKey)); err != nil {
		t.Fatal(err)
	}
	if k3, _ := r.lookup(ctx, "k1", time.Now()); k3 != k1 || k3.rsa != k1.rsa {
		t.Fatalf("a refresh with the same key made a new one")
	}
	if !r.holds(k1, time.Now()) {
		t.Fatal("the key no longer held after a refresh that kept it")
	}
	if err := r.install(parse(&other.PublicKey)); err != nil {
		t.Fatal(err)
	}
	if k4, _ := r.lookup(ctx, "k1", time.Now()); k4 == k1 || r.holds(k1, time.Now()) {
		t.Fatal("a key replaced under the same kid still counts as the old one")
	}
}
