package verifier_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

type bench struct {
	tok      string
	distinct []string // tokens like tok, each seen once per cycle
	pub      *rsa.PublicKey
	noCache  *verifier.Authgear // the first-seen path without the cache
	tiny     *verifier.Authgear // a cache of one: every distinct token misses and is inserted
	cached   *verifier.Authgear // the default cache
}

func newBench(b *testing.B) *bench {
	b.Helper()
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	b.Cleanup(fake.Close)
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	be := &bench{tok: session(b, fake, alice, "test-client")}
	for i := 0; i < 64; i++ {
		be.distinct = append(be.distinct, session(b, fake, alice, "test-client"))
	}
	k, _ := fake.PublicKeys().Key(0)
	be.pub = new(rsa.PublicKey)
	if err := k.Raw(be.pub); err != nil {
		b.Fatal(err)
	}
	mk := func(size int) *verifier.Authgear {
		v, err := verifier.NewAuthgear(bg(b), verifier.AuthgearConfig{Endpoint: fake.URL, CacheSize: size})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(v.Close)
		return v
	}
	be.noCache, be.tiny, be.cached = mk(-1), mk(1), mk(0)
	return be
}

// floor is the least any verifier must do: hash the signing input and check
// the RSA signature with crypto/rsa.
func (be *bench) floor(b *testing.B) {
	dot := strings.LastIndexByte(be.tok, '.')
	input := []byte(be.tok[:dot])
	sig, _ := base64.RawURLEncoding.DecodeString(be.tok[dot+1:])
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(be.pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func (be *bench) loop(b *testing.B, v *verifier.Authgear, toks []string) {
	ctx := bg(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.Verify(ctx, toks[i%len(toks)]); err != nil {
			b.Fatal(err)
		}
	}
}

func (be *bench) firstSeen(b *testing.B) { be.loop(b, be.tiny, be.distinct) }
func (be *bench) hit(b *testing.B) {
	_, _ = be.cached.Verify(bg(b), be.tok)
	be.loop(b, be.cached, []string{be.tok})
}

// BenchmarkAuthgearVerify measures the paths side by side in one run:
//
//	go test ./verifier -run '^$' -bench AuthgearVerify -benchmem
func BenchmarkAuthgearVerify(b *testing.B) {
	be := newBench(b)
	b.Run("floor=sha256+rsa.VerifyPKCS1v15", be.floor)
	b.Run("first-seen", be.firstSeen)
	b.Run("first-seen-no-cache", func(b *testing.B) { be.loop(b, be.noCache, be.distinct) })
	b.Run("cache-hit", be.hit)
}

// BenchmarkAuthgearRatios interleaves the floor and the verifier's paths
// in every iteration and reports their ratios, which hold up on a noisy,
// shared machine better than absolute times:
//
//	go test ./verifier -run '^$' -bench AuthgearRatios -benchtime 3s
func BenchmarkAuthgearRatios(b *testing.B) {
	be := newBench(b)
	ctx := bg(b)
	dot := strings.LastIndexByte(be.tok, '.')
	input := []byte(be.tok[:dot])
	sig, _ := base64.RawURLEncoding.DecodeString(be.tok[dot+1:])
	if _, err := be.cached.Verify(ctx, be.tok); err != nil {
		b.Fatal(err)
	}
	const hits = 64 // cache hits per iteration, timed together
	var floorT, firstT, hitT time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		h := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(be.pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := be.tiny.Verify(ctx, be.distinct[i%len(be.distinct)]); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		for j := 0; j < hits; j++ {
			if _, err := be.cached.Verify(ctx, be.tok); err != nil {
				b.Fatal(err)
			}
		}
		t3 := time.Now()
		floorT += t1.Sub(t0)
		firstT += t2.Sub(t1)
		hitT += t3.Sub(t2)
	}
	first := float64(firstT) / float64(floorT)
	hit := float64(hitT) / hits / float64(floorT)
	b.ReportMetric(first, "first-seen/floor")
	b.ReportMetric(hit, "cache-hit/floor")
	b.ReportMetric(0, "ns/op")
	b.Logf("first-seen %.3fx the floor (target <= 1.3); cache hit %.4fx (target <= 0.03)", first, hit)
}
