package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// A Config logged or printed in any way never shows the signing secret.
func TestConfigSecretRedacted(t *testing.T) {
	const raw = "the-project-webhook-secret-octets"
	cfg := Config{Secret: []byte(raw)}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		out = append(out, fmt.Sprintf(verb, cfg), fmt.Sprintf(verb, &cfg), fmt.Sprintf(verb, cfg.Secret))
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "cfg", cfg, "secret", cfg.Secret)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "cfg", &cfg)
	j, _ := json.Marshal(cfg.Secret)
	out = append(out, buf.String(), string(j))
	hexed := fmt.Sprintf("%x", []byte(raw))
	for _, s := range out {
		if strings.Contains(s, raw) || strings.Contains(s, hexed) || strings.Contains(s, "116 104 101") {
			t.Errorf("the secret shows in %q", s)
		}
	}
}
