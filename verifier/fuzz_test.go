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
