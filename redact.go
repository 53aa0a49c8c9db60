package agmigrate

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Every type that holds an Authgear token redacts it however it is
// printed: fmt (all verbs, by value and by pointer), slog, and JSON
// encoders that loggers use. The methods have value receivers on purpose:
// a pointer-receiver String is skipped when a value is printed.

// String describes the tokens without showing them.
func (t Tokens) String() string {
	return fmt.Sprintf("agmigrate.Tokens{TokenType: %q, ExpiresIn: %v, tokens redacted}", t.TokenType, t.ExpiresIn)
}

// GoString is String, for %#v.
func (t Tokens) GoString() string { return t.String() }

// Format writes String for every verb.
func (t Tokens) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// LogValue is what slog logs: the token type and lifetime only.
func (t Tokens) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token_type", t.TokenType), slog.Duration("expires_in", t.ExpiresIn),
		slog.String("tokens", "redacted"))
}

// MarshalJSON redacts the tokens. To send them to a client, build the JSON
// from the fields (as MigrationEndpoint does).
func (t Tokens) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		TokenType string `json:"token_type"`
		ExpiresIn int64  `json:"expires_in"`
		Tokens    string `json:"tokens"`
	}{t.TokenType, int64(t.ExpiresIn.Seconds()), "redacted"})
}

// String describes the result without its tokens.
func (r ExchangeResult) String() string {
	var t Tokens
	if r.Tokens != nil {
		t = *r.Tokens
	}
	return fmt.Sprintf("agmigrate.ExchangeResult{UserID: %q, Reused: %v, Created: %v, Tokens: %v}", r.UserID, r.Reused, r.Created, t)
}

// GoString is String, for %#v.
func (r ExchangeResult) GoString() string { return r.String() }

// Format writes String for every verb.
func (r ExchangeResult) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue is what slog logs: the user and how the session came about.
func (r ExchangeResult) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user_id", r.UserID), slog.Bool("reused", r.Reused), slog.Bool("created", r.Created),
		slog.String("tokens", "redacted"))
}

// Format keeps the stored record's tokens out of anything that prints it.
func (rec record) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "agmigrate.record{Negative: %q, UserID: %q, tokens redacted}", rec.Negative, rec.UserID)
}

// LogValue keeps the stored record's tokens out of slog.
func (rec record) LogValue() slog.Value {
	return slog.GroupValue(slog.String("negative", rec.Negative), slog.String("user_id", rec.UserID), slog.String("tokens", "redacted"))
}

// SecretKey is key material in a Config (LogHashKey). It prints and logs
// as "[redacted]", so printing a Config shows no key; assign it from a
// []byte as usual.
type SecretKey []byte

// String hides the key.
func (k SecretKey) String() string { return "[redacted]" }

// GoString hides the key from %#v.
func (k SecretKey) GoString() string { return k.String() }

// Format writes String for every verb (%x included).
func (k SecretKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue hides the key from slog.
func (k SecretKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON hides the key from JSON encoders.
func (k SecretKey) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }
