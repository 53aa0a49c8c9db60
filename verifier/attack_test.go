package verifier_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/verifier"
)

// Attacks on what a legacy token vouches for, by an attacker who controls
// the claims a legacy identity provider lets its users set (issue 9).

// The verified flag vouches for the claim it is named after: Keycloak's
// email_verified says the "email" claim was verified, not the
// "preferred_username" a user chose at registration. A token whose login
// ID claim is another claim, holding someone else's address next to the
// attacker's own verified email, must not pass on the attacker's flag.
func TestAttackVerifiedFlagOfAnotherClaim(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	now := time.Now().Unix()
	claims := func(extra map[string]any) map[string]any {
		c := map[string]any{"iss": "https://legacy.example.com", "aud": "web", "sub": "7", "iat": now, "exp": now + 600}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	cfg := verifier.HS256(secret, "https://legacy.example.com", "web")
	cfg.LoginID = verifier.LoginID{Key: "email", Claim: "preferred_username"}
	v, err := verifier.NewJWT(bg(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   error // nil: accepted
	}{
		{"username holds the victim's address, the attacker's own email verified",
			claims(map[string]any{"preferred_username": "kate@example.com", "email": "attacker@evil.test", "email_verified": true}),
			verifier.ErrEmailVerified},
		{"username is the verified email",
			claims(map[string]any{"preferred_username": "kate@example.com", "email": "kate@example.com", "email_verified": true}), nil},
		{"no email claim: the flag can only be about the login ID",
			claims(map[string]any{"preferred_username": "kate@example.com", "email_verified": true}), nil},
	} {
		id, err := v.VerifyLegacy(bg(t), hmacToken(map[string]any{"alg": "HS256"}, tc.claims, secret))
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: %+v, %v; want %v", tc.name, id, err, tc.want)
		}
	}

	// A phone read from another claim is the same number however spaced.
	pcfg := verifier.HS256(secret, "https://legacy.example.com", "web")
	pcfg.LoginID = verifier.LoginID{Key: "phone", Claim: "mobile"}
	pv, err := verifier.NewJWT(bg(t), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	for mobile, ok := range map[string]bool{"+44 20 7946 0000": true, "+442079460001": false} {
		_, err := pv.VerifyLegacy(bg(t), hmacToken(map[string]any{"alg": "HS256"}, claims(map[string]any{
			"mobile": mobile, "phone_number": "+442079460000", "phone_number_verified": true}), secret))
		if ok != (err == nil) || !ok && !errors.Is(err, verifier.ErrEmailVerified) {
			t.Errorf("mobile %q next to the verified phone_number: %v", mobile, err)
		}
	}

	// The Okta preset reads the login from sub, and email_verified is
	// about the email attribute.
	srv, _ := jwksServer(t)
	okta := verifier.Okta("https://example.okta.com/oauth2/default", "api://default")
	okta.JWKSURL = srv.URL
	ov, err := verifier.NewJWT(bg(t), okta)
	if err != nil {
		t.Fatal(err)
	}
	defer ov.Close()
	tok := legacyToken(t, nil, map[string]any{"iss": "https://example.okta.com/oauth2/default", "aud": "api://default",
		"iat": now, "exp": now + 600, "sub": "kate@example.com", "email": "attacker@evil.test", "email_verified": true})
	if id, err := ov.VerifyLegacy(bg(t), tok); !errors.Is(err, verifier.ErrEmailVerified) {
		t.Errorf("Okta: sub of another address than the verified email: %+v, %v; want ErrEmailVerified", id, err)
	}

	// An RFC 7662 answer read by its "username" field, the way many
	// servers answer.
	answer := `{"active":true,"client_id":"web","username":"kate@example.com","email":"attacker@evil.test","email_verified":true}`
	is := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	defer is.Close()
	in, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: is.URL, ClientID: "app", ClientSecret: "s",
		ClientIDs: []string{"web"}, LoginID: verifier.LoginID{Claim: "username"}})
	if err != nil {
		t.Fatal(err)
	}
	if id, err := in.VerifyLegacy(bg(t), "opaque"); !errors.Is(err, verifier.ErrEmailVerified) {
		t.Errorf("introspection: username of another address than the verified email: %+v, %v; want ErrEmailVerified", id, err)
	}
}
