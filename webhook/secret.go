package webhook

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Secret is the webhook signing secret. It prints as "[redacted]" under
// every fmt verb, in slog and in JSON, so logging a Config never shows it.
// A []byte converts to it implicitly in a Config literal.
type Secret []byte

// String hides the secret.
func (Secret) String() string { return "[redacted]" }

// GoString hides the secret from %#v.
func (s Secret) GoString() string { return s.String() }

// Format writes String for every verb (%x and %q included).
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue hides the secret from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON hides the secret from JSON encoders.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
