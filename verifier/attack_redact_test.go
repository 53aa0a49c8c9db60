package verifier_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/verifier"
)

// everyPrint renders v every way a program might print or log it.
func everyPrint(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"slog json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var b bytes.Buffer
		slog.New(h(&b)).Info("m", "v", v)
		out[name] = b.String()
	}
	return out
}

// A legacy system's HMAC secret and an introspection client secret are
// keys: a configuration or verifier printed or logged at start-up (the
// obvious way to check a setup) must not show them.
func TestAttackVerifierSecretsRedacted(t *testing.T) {
	t.Parallel()
	hmacSecret := []byte("hmac-secret-0123456789abcdef-0123456789")
	clientSecret := "client-secret-0123456789"
	jcfg := verifier.HS256(hmacSecret, "https://legacy.example.com", "web")
	jv, err := verifier.NewJWT(bg(t), jcfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	icfg := verifier.IntrospectionConfig{URL: srv.URL, ClientID: "app", ClientSecret: clientSecret, ClientIDs: []string{"web"}}
	iv, err := verifier.NewIntrospection(icfg)
	if err != nil {
		t.Fatal(err)
	}
	leaks := []string{"hmac-secret", "client-secret", fmt.Sprintf("%x", "hmac-secret"), fmt.Sprintf("%x", "client-secret"),
		strings.Trim(fmt.Sprint(hmacSecret[:6]), "[]")}
	for name, v := range map[string]any{"JWTConfig": jcfg, "*JWTConfig": &jcfg, "*JWT": jv,
		"IntrospectionConfig": icfg, "*IntrospectionConfig": &icfg, "*Introspection": iv} {
		for how, s := range everyPrint(v) {
			for _, l := range leaks {
				if strings.Contains(s, l) {
					t.Errorf("%s printed with %s shows a secret: %s", name, how, s)
					break
				}
			}
		}
	}
	// What is printed still says what was configured.
	if s := fmt.Sprintf("%+v", icfg); !strings.Contains(s, srv.URL) {
		t.Errorf("IntrospectionConfig prints as %q", s)
	}
}
