package agmigrate_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
)

// The hash standing for a login ID in logs is keyed: not the plain SHA-256
// of the address (anyone could compute that for known addresses), the
// HMAC under LogHashKey when set, and the login ID itself never appears.
func TestLoginIDLogHashKeyed(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	const loginID = "nobody@example.com"
	plain := sha256.Sum256([]byte(loginID))
	logged := func(key []byte) string {
		var buf bytes.Buffer
		cfg := w.config()
		cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.LogHashKey = key
		serve(w.middleware(cfg).Handler(app), withLegacyCookie(w.verifiedToken(map[string]any{"email": loginID})))
		out := buf.String()
		if strings.Contains(out, loginID) {
			t.Errorf("log shows the login ID: %s", out)
		}
		_, after, ok := strings.Cut(out, "login_id_hash=")
		if !ok {
			t.Fatalf("no login_id_hash in %q", out)
		}
		h, _, _ := strings.Cut(after, " ")
		if strings.HasPrefix(hex.EncodeToString(plain[:]), h[:8]) {
			t.Errorf("hash %s is the unkeyed SHA-256 of the login ID", h)
		}
		return h
	}
	key := []byte("0123456789abcdef-log-hash-key")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(loginID))
	if got, want := logged(key), hex.EncodeToString(mac.Sum(nil))[:len(logged(key))]; got != want {
		t.Errorf("hash %s, want the HMAC prefix %s", got, want)
	}
	logged(nil) // the per-process key
}
