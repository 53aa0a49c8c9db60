package verifier_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"sort"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// benchSetup makes a real Authgear-shaped token, its RSA key and two
// verifiers: one with the verified-token cache off (the first-seen path)
// and one with it on.
func benchSetup(b *testing.B) (tok string, pub *rsa.PublicKey, first, cachedV *verifier.Authgear) {
	b.Helper()
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	b.Cleanup(fake.Close)
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	tok = session(b, fake, alice, "test-client")
	k, _ := fake.PublicKeys().Key(0)
	pub = new(rsa.PublicKey)
	if err := k.Raw(pub); err != nil {
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
	return tok, pub, mk(-1), mk(0)
}

// floor is the least any verifier must do: hash the signing input and check
// the RSA signature.
func floor(b *testing.B, tok string, pub *rsa.PublicKey) {
	dot := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:dot])
	sig, _ := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func verifyLoop(b *testing.B, v *verifier.Authgear, tok string) {
	ctx := bg(b)
	if _, err := v.Verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthgearVerify measures the three paths side by side:
//
//	go test ./verifier -run '^$' -bench 'AuthgearVerify' -count 6
func BenchmarkAuthgearVerify(b *testing.B) {
	tok, pub, first, cached := benchSetup(b)
	b.Run("floor=rsa.VerifyPKCS1v15", func(b *testing.B) { floor(b, tok, pub) })
	b.Run("first-seen", func(b *testing.B) { verifyLoop(b, first, tok) })
	b.Run("cache-hit", func(b *testing.B) { verifyLoop(b, cached, tok) })
}

// BenchmarkAuthgearRatios runs the floor and both verifier paths in turns
// within one run and reports the median ratios, which survive a noisy
// machine better than absolute times:
//
//	go test ./verifier -run '^$' -bench 'AuthgearRatios' -benchtime 1x
func BenchmarkAuthgearRatios(b *testing.B) {
	tok, pub, first, cached := benchSetup(b)
	var fr, hr []float64
	var hitAllocs int64
	for round := 0; round < 5; round++ {
		fl := testing.Benchmark(func(b *testing.B) { floor(b, tok, pub) })
		fs := testing.Benchmark(func(b *testing.B) { verifyLoop(b, first, tok) })
		ch := testing.Benchmark(func(b *testing.B) { verifyLoop(b, cached, tok) })
		fr = append(fr, float64(fs.NsPerOp())/float64(fl.NsPerOp()))
		hr = append(hr, float64(ch.T.Nanoseconds())/float64(ch.N)/float64(fl.NsPerOp()))
		hitAllocs = max(hitAllocs, ch.AllocsPerOp())
	}
	med := func(xs []float64) float64 { sort.Float64s(xs); return xs[len(xs)/2] }
	b.ReportMetric(med(fr), "first-seen/floor")
	b.ReportMetric(med(hr), "cache-hit/floor")
	b.ReportMetric(float64(hitAllocs), "cache-hit-allocs/op")
	b.Logf("first-seen %.3fx floor (target <= 1.3), cache hit %.4fx floor (target <= 0.03), %d allocs per cache hit",
		med(fr), med(hr), hitAllocs)
}
