package verifier_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Opaque Authgear tokens say nothing of their client at userinfo (see
// recording 69), so a client allow-list cannot be enforced for them:
// asking for both is a configuration error.
func TestAuthgearOpaqueTokensWithClientAllowList(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{Clients: []authgeartest.Client{{ID: "web", OpaqueAccessTokens: true}}})
	_, err := verifier.NewAuthgear(bg(t), verifier.AuthgearConfig{Endpoint: e.fake.URL, OpaqueTokens: true, ClientIDs: []string{"test-client"}})
	if !errors.Is(err, verifier.ErrConfig) {
		t.Fatalf("opaque tokens with a client allow-list: %v, want ErrConfig", err)
	}
}

// Registered claim names match exactly: "AUD" is not "aud", "ISS" is not
// "iss", "EXP" is not "exp".
func TestLegacyRegisteredClaimsExact(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	v, err := verifier.NewJWT(bg(t), verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	for name, tc := range map[string]struct {
		claims map[string]any
		want   error
	}{
		"AUD": {map[string]any{"iss": "https://legacy.example.com", "AUD": "web", "exp": now + 60}, verifier.ErrAudience},
		"ISS": {map[string]any{"ISS": "https://legacy.example.com", "aud": "web", "exp": now + 60}, verifier.ErrIssuer},
		"Exp": {map[string]any{"iss": "https://legacy.example.com", "aud": "web", "Exp": now + 60}, verifier.ErrMissingClaim},
	} {
		tc.claims["email"], tc.claims["email_verified"] = "alice@example.com", true
		tok := hmacToken(map[string]any{"alg": "HS256"}, tc.claims, secret)
		if _, err := v.VerifyLegacy(bg(t), tok); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// A duplicated registered claim is refused: parsers disagree on which
	// copy counts.
	in := b64(map[string]any{"alg": "HS256"}) + "." + base64.RawURLEncoding.EncodeToString([]byte(
		`{"iss":"https://legacy.example.com","aud":"other","aud":"web","email":"alice@example.com","email_verified":true,"exp":`+itoa(now+60)+`}`))
	if _, err := v.VerifyLegacy(bg(t), hmacRaw(in, secret)); !errors.Is(err, verifier.ErrMalformed) {
		t.Errorf("duplicate aud: %v, want ErrMalformed", err)
	}
}

// RFC 7662 introspection without any audience or client check is a
// configuration error; an answer's "AUD" is not its "aud".
func TestIntrospectionNeedsAudienceOrClientCheck(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"active":true,"sub":"42","username":"alice@example.com","email_verified":true,"AUD":"web","exp":` + itoa(time.Now().Add(time.Hour).Unix()) + `}`))
	}))
	defer srv.Close()
	if _, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: srv.URL, ClientID: "app", ClientSecret: "s"}); !errors.Is(err, verifier.ErrConfig) {
		t.Errorf("no audience or client check: %v, want ErrConfig", err)
	}
	in, err := verifier.NewIntrospection(verifier.IntrospectionConfig{URL: srv.URL, ClientID: "app", ClientSecret: "s",
		Audience: []string{"web"}, LoginID: verifier.LoginID{Claim: "username"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.VerifyLegacy(bg(t), "tok"); !errors.Is(err, verifier.ErrAudience) {
		t.Errorf("answer with AUD, not aud: %v, want ErrAudience", err)
	}
}

// rsaToken signs hdr and claims with RS256 under k whatever hdr says, so
// a test can name the header parameters freely.
func rsaToken(t *testing.T, k jwk.Key, hdr, claims map[string]any) string {
	t.Helper()
	var priv rsa.PrivateKey
	if err := k.Raw(&priv); err != nil {
		t.Fatal(err)
	}
	in := b64(hdr) + "." + b64(claims)
	h := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, &priv, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// Header parameter names match exactly too: "ALG" is not "alg", "Kid" is
// not "kid"; and one given twice is refused.
func TestHeaderNamesExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, authgeartest.Options{})
	v := e.verifier(t, verifier.AuthgearConfig{CacheSize: -1})
	kid := e.fake.SigningKeyID()
	if _, err := v.Verify(bg(t), rsaToken(t, e.fake.SigningKey(), map[string]any{"alg": "RS256", "kid": kid, "typ": "at+jwt"}, e.claims())); err != nil {
		t.Fatalf("well-formed token: %v", err)
	}
	for name, tc := range map[string]struct {
		hdr  string
		want error
	}{
		"ALG":       {`{"ALG":"RS256","kid":"` + kid + `"}`, verifier.ErrAlgorithm},
		"Kid":       {`{"alg":"RS256","Kid":"` + kid + `"}`, verifier.ErrUnknownKey},
		"two algs":  {`{"alg":"RS256","alg":"RS256","kid":"` + kid + `"}`, verifier.ErrMalformed},
		"CRIT only": {`{"alg":"RS256","kid":"` + kid + `","CRIT":["x"]}`, nil},
	} {
		in := base64.RawURLEncoding.EncodeToString([]byte(tc.hdr)) + "." + b64(e.claims())
		tok := rsaRaw(t, e.fake.SigningKey(), in)
		_, err := v.Verify(bg(t), tok)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func rsaRaw(t *testing.T, k jwk.Key, in string) string {
	var priv rsa.PrivateKey
	if err := k.Raw(&priv); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(in))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, &priv, crypto.SHA256, h[:])
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// A legacy token that names its login ID claim twice is refused: which
// copy counts depends on the parser.
func TestLegacyDuplicateLoginIDClaim(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef-legacy")
	v, err := verifier.NewJWT(bg(t), verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	in := b64(map[string]any{"alg": "HS256"}) + "." + base64.RawURLEncoding.EncodeToString([]byte(
		`{"iss":"https://legacy.example.com","aud":"web","email":"attacker@example.com","email":"victim@example.com","email_verified":true,"exp":`+itoa(time.Now().Unix()+60)+`}`))
	if id, err := v.VerifyLegacy(bg(t), hmacRaw(in, secret)); !errors.Is(err, verifier.ErrMalformed) {
		t.Errorf("duplicated email claim: %+v, %v; want ErrMalformed", id, err)
	}
}
