package agmigrate_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
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
