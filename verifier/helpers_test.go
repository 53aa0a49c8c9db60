package verifier_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// clock is a test clock shared by the fake and the verifier.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock                   { return &clock{now: time.Now()} }
func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func bg(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// session creates a real session at the fake and returns its access token.
func session(t testing.TB, fake *authgeartest.Server, user, client string) string {
	t.Helper()
	s, err := fake.AdminClient().CreateSession(bg(t), adminapi.UserNodeID(user), client, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.AccessToken
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// forge signs claims with key and the given protected header fields.
func forge(t testing.TB, key jwk.Key, alg jwa.SignatureAlgorithm, hdr map[string]any, claims map[string]any) string {
	t.Helper()
	h := jws.NewHeaders()
	for k, v := range hdr {
		if err := h.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	// jwx writes the key's own kid into the header; sign with a copy that
	// has none, so the header says exactly what the test asked for.
	key, err := key.Clone()
	if err != nil {
		t.Fatal(err)
	}
	_ = key.Remove(jwk.KeyIDKey)
	payload, _ := json.Marshal(claims)
	out, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// hmacToken signs with HMAC-SHA256 under secret, whatever the header says.
func hmacToken(hdr, claims map[string]any, secret []byte) string {
	in := b64(hdr) + "." + b64(claims)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
