package agmigrate_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

const (
	secretAccess  = "eyJsecret-access-token"
	secretRefresh = "secret-refresh-token"
)

// printed renders v every way a program might print or log it.
func printed(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T %v"} {
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

// Tokens, ExchangeResult and adminapi.Session never show a token, by value
// or by pointer, through fmt or slog.
func TestTokensRedacted(t *testing.T) {
	t.Parallel()
	tok := agmigrate.Tokens{AccessToken: secretAccess, RefreshToken: secretRefresh, TokenType: "Bearer", ExpiresIn: 30 * time.Minute}
	res := agmigrate.ExchangeResult{Tokens: &tok, UserID: "u1", Created: true}
	sess := adminapi.Session{AccessToken: secretAccess, RefreshToken: secretRefresh, TokenType: "Bearer", ExpiresIn: time.Hour}
	for name, v := range map[string]any{
		"Tokens": tok, "*Tokens": &tok, "ExchangeResult": res, "*ExchangeResult": &res,
		"Session": sess, "*Session": &sess, "[]Tokens": []agmigrate.Tokens{tok}, "map": map[string]*adminapi.Session{"s": &sess},
	} {
		for how, s := range printed(v) {
			if strings.Contains(s, "secret") || strings.Contains(s, fmt.Sprintf("%x", "secret")) {
				t.Errorf("%s printed with %s shows a token: %s", name, how, s)
			}
		}
	}
	// What is printed still tells the value apart from an empty one.
	if s := fmt.Sprint(tok); !strings.Contains(s, "Bearer") {
		t.Errorf("Tokens prints as %q", s)
	}
}

// Key material and cached admin JWTs do not print either: a Config with a
// LogHashKey, and a Signer holding a token.
func TestKeysRedacted(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{})
	signer, err := adminapi.NewSigner(fake.AdminKey(), "myapp", 0)
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := signer.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	key := agmigrate.SecretKey("secret-log-hash-key-0123456789")
	cfg := agmigrate.Config{ClientID: "test-client", LogHashKey: key}
	for name, v := range map[string]any{"Config": cfg, "*Config": &cfg, "Signer": signer} {
		for how, s := range printed(v) {
			if strings.Contains(s, "secret") || strings.Contains(s, fmt.Sprintf("%x", []byte("secret"))) ||
				strings.Contains(s, jwt[:20]) || strings.Contains(s, strings.Trim(fmt.Sprint([]byte(key)[:4]), "[]")) {
				t.Errorf("%s printed with %s shows key material: %s", name, how, s)
			}
		}
	}
}
