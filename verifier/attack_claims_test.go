package verifier_test

import (
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/verifier"
)

// A dotted login ID claim ("user.email") must name one value: a token that
// also has a top-level claim of that whole name, or an object naming a
// member twice, reads as two different users to two parsers (the legacy
// app's and the verifier's).
func TestAttackDottedClaimAmbiguity(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	cfg := verifier.HS256(secret, "https://legacy.example.com", "web")
	cfg.LoginID = verifier.LoginID{Key: "email", Claim: "user.email", VerifiedClaim: "user.email_verified"}
	v, err := verifier.NewJWT(bg(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	head := `{"iss":"https://legacy.example.com","aud":"web","exp":` + itoa(time.Now().Unix()+600) + `,`
	for _, tc := range []struct {
		name, payload string
		ok            bool
	}{
		{"nested only", `"user":{"email":"kate@example.com","email_verified":true}}`, true},
		{"whole name and path", `"user.email":"attacker@evil.test","user.email_verified":true,"user":{"email":"kate@example.com","email_verified":true}}`, false},
		{"member twice in the object", `"user":{"email":"attacker@evil.test","email":"kate@example.com","email_verified":true}}`, false},
		{"member twice, once escaped", `"user":{"email":"attacker@evil.test","\u0065mail":"kate@example.com","email_verified":true}}`, false},
		{"object in an array, member twice", `"user":{"email":"kate@example.com","email_verified":true},"x":[{"a":1,"a":2}]}`, false},
	} {
		in := b64(map[string]any{"alg": "HS256"}) + "." + base64.RawURLEncoding.EncodeToString([]byte(head+tc.payload))
		id, err := v.VerifyLegacy(bg(t), hmacRaw(in, secret))
		switch {
		case tc.ok && (err != nil || id.LoginID != "kate@example.com"):
			t.Errorf("%s: %+v, %v", tc.name, id, err)
		case !tc.ok && !errors.Is(err, verifier.ErrMalformed):
			t.Errorf("%s: %+v, %v; want ErrMalformed", tc.name, id, err)
		}
	}
}
