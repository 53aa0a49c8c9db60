package adminapi

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func TestSignerTokenShape(t *testing.T) {
	key, err := NewAdminKey(testKey(), "kid-1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(key, "myapp", 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	s.now = func() time.Time { return now }
	tok, err := s.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	msg, err := jws.Parse([]byte(tok))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if h.Algorithm() != jwa.RS256 || h.KeyID() != "kid-1" || h.Type() != "JWT" {
		t.Errorf("header alg %s kid %s typ %s", h.Algorithm(), h.KeyID(), h.Type())
	}
	parsed, err := jwt.ParseString(tok, jwt.WithKey(jwa.RS256, &testKey().PublicKey), jwt.WithValidate(false))
	if err != nil {
		t.Fatal(err)
	}
	if aud := parsed.Audience(); len(aud) != 1 || aud[0] != "myapp" {
		t.Errorf("aud %v", aud)
	}
	if !parsed.IssuedAt().Equal(now.Truncate(time.Second)) || parsed.Expiration().Sub(parsed.IssuedAt()) != 5*time.Minute {
		t.Errorf("iat %v exp %v", parsed.IssuedAt(), parsed.Expiration())
	}
}

// Many goroutines asking at once get one signature per renewal period.
func TestSignerConcurrentRenewal(t *testing.T) {
	key, _ := NewAdminKey(testKey(), "kid-1")
	s, _ := NewSigner(key, "myapp", 0)
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	s.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	round := func() map[string]bool {
		var wg sync.WaitGroup
		var tmu sync.Mutex
		seen := map[string]bool{}
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok, err := s.Token(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				tmu.Lock()
				seen[tok] = true
				tmu.Unlock()
			}()
		}
		wg.Wait()
		return seen
	}
	if got := round(); len(got) != 1 || s.signed != 1 {
		t.Fatalf("first round: %d distinct tokens, %d signatures; want 1, 1", len(got), s.signed)
	}
	advance(3 * time.Minute) // still more than a fifth of the lifetime left
	if round(); s.signed != 1 {
		t.Fatalf("renewed too early: %d signatures", s.signed)
	}
	advance(90 * time.Second) // 30 s left: renew
	if got := round(); len(got) != 1 || s.signed != 2 {
		t.Fatalf("after expiry: %d distinct tokens, %d signatures; want 1, 2", len(got), s.signed)
	}
}

func TestNewSignerRefusesBadInput(t *testing.T) {
	key, _ := NewAdminKey(testKey(), "kid-1")
	for name, f := range map[string]func() (*Signer, error){
		"no key":       func() (*Signer, error) { return NewSigner(nil, "myapp", 0) },
		"no project":   func() (*Signer, error) { return NewSigner(key, "", 0) },
		"too long":     func() (*Signer, error) { return NewSigner(key, "myapp", time.Hour) },
		"negative ttl": func() (*Signer, error) { return NewSigner(key, "myapp", -time.Second) },
	} {
		if _, err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
