package adminapi

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Values that hold tokens redact them however they are printed. The
// methods have value receivers, so a value and a pointer behave alike
// (a pointer-receiver String is skipped when a value is printed).

// String describes the session without its tokens.
func (s Session) String() string {
	return fmt.Sprintf("adminapi.Session{TokenType: %q, ExpiresIn: %v, tokens redacted}", s.TokenType, s.ExpiresIn)
}

// GoString is String, for %#v.
func (s Session) GoString() string { return s.String() }

// Format writes String for every verb (%v, %+v, %#v, %s, %q, %x, …).
func (s Session) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue is what slog logs: the token type and lifetime only.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token_type", s.TokenType), slog.Duration("expires_in", s.ExpiresIn),
		slog.String("tokens", "redacted"))
}

// MarshalJSON redacts the tokens, so a logger that encodes values as JSON
// cannot leak them. To send a session to a client, build the JSON from the
// fields.
func (s Session) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		TokenType string `json:"token_type"`
		ExpiresIn int64  `json:"expires_in"`
		Tokens    string `json:"tokens"`
	}{s.TokenType, int64(s.ExpiresIn.Seconds()), "redacted"})
}

// Format hides the tokens of the generated createSession payload as well.
func (v CreateSessionCreateSessionCreateSessionPayload) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "adminapi.CreateSessionPayload{TokenType: %q, ExpiresIn: %d, tokens redacted}", v.TokenType, v.ExpiresIn)
}

// LogValue hides the tokens of the generated createSession payload from slog.
func (v CreateSessionCreateSessionCreateSessionPayload) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token_type", v.TokenType), slog.Int("expires_in", v.ExpiresIn), slog.String("tokens", "redacted"))
}

// Format keeps the admin JWT a Signer caches out of anything that prints
// the signer (a pointer receiver: a Signer holds a mutex and is always
// used by pointer).
func (s *Signer) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "adminapi.Signer{ProjectID: %q, token redacted}", s.projectID)
}

// LogValue keeps the cached admin JWT out of slog.
func (s *Signer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("project_id", s.projectID), slog.String("token", "redacted"))
}
