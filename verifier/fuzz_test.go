package verifier_test

import (
	"errors"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// FuzzAuthgearVerify feeds arbitrary strings to a verifier on the fake:
// never a panic, and every failure is a refusal or "cannot check now".
func FuzzAuthgearVerify(f *testing.F) {
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	f.Cleanup(fake.Close)
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	good := session(f, fake, alice, "test-client")
	v, err := verifier.NewAuthgear(bg(f), verifier.AuthgearConfig{Endpoint: fake.URL, RefetchCooldown: 1 << 62})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(v.Close)
	for _, s := range []string{good, good[:len(good)-2], "", ".", "..", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.e30.AA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := v.Verify(bg(t), tok)
		if err == nil {
			if tok != good || c.Subject != alice {
				t.Fatalf("accepted %q", tok)
			}
			return
		}
		if !errors.Is(err, verifier.ErrInvalidToken) && !errors.Is(err, verifier.ErrUnavailable) {
			t.Fatalf("error of no known kind: %v", err)
		}
	})
}

// FuzzLegacyVerify: arbitrary tokens at a legacy HS256 verifier never
// panic, and only a correctly signed token with a usable login ID passes.
func FuzzLegacyVerify(f *testing.F) {
	secret := []byte("0123456789abcdef0123456789abcdef-fuzz")
	v, err := verifier.NewJWT(bg(f), verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		f.Fatal(err)
	}
	good := hmacToken(map[string]any{"alg": "HS256"}, map[string]any{"iss": "https://legacy.example.com", "aud": "web",
		"email": "alice@example.com", "email_verified": true, "exp": 1 << 40, "user": map[string]any{"email": "x"}}, secret)
	for _, s := range []string{good, "", "a.b.c", good + "x", "eyJhbGciOiJIUzI1NiJ9.bnVsbA.AA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := v.VerifyLegacy(bg(t), tok)
		if err == nil && (tok != good || id.LoginID != "alice@example.com") {
			t.Fatalf("accepted %q", tok)
		}
		if err != nil && !errors.Is(err, verifier.ErrInvalidToken) {
			t.Fatalf("error of no known kind: %v", err)
		}
	})
}

// FuzzNormalizeLoginID: normalising is idempotent and never panics.
func FuzzNormalizeLoginID(f *testing.F) {
	for _, s := range []string{"alice@example.com", " +852 9123-4567 ", "0044 20 7946 0958", "alice", "a@b", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, key := range []string{"email", "phone", "username"} {
			n, err := verifier.NormalizeLoginID(key, s)
			if err != nil {
				continue
			}
			if again, err := verifier.NormalizeLoginID(key, n); err != nil || again != n {
				t.Fatalf("%s %q → %q → %q, %v: not idempotent", key, s, n, again, err)
			}
		}
	})
}
