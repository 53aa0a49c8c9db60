package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// Func is the application's side of the mirror: it is called once per
// event (and by Reconcile for users whose delivery was missed) and creates,
// updates or removes the legacy record. It must be idempotent by user ID:
// Reconcile may hand it a user a delivery already brought.
type Func func(ctx context.Context, ev *Event) error

// Decision is the answer to a blocking event.
type Decision struct {
	Allowed bool
	// Title and Reason are shown to the user when Allowed is false.
	Title, Reason string
}

// Config configures a Handler.
type Config struct {
	// Secret is the project's webhook signing secret: the string the
	// portal shows, as bytes (or SecretFromJWK of the key in
	// authgear.secrets.yaml). Required, at least 16 bytes.
	Secret Secret

	// OnEvent is called for every verified, fresh, first-seen
	// non-blocking event. Required. An error makes the Handler answer 500
	// and forget the event ID, so a redelivery or Reconcile handles it; a
	// panic forgets the ID too (net/http drops the connection).
	OnEvent Func

	// Allow decides blocking events (user.pre_create, …). Default: every
	// one is allowed. An error answers 500, which makes Authgear fail the
	// operation (a user is not created), so return a Decision instead
	// whenever the answer is known.
	Allow func(ctx context.Context, ev *Event) (Decision, error)

	// MaxAge is how old an event's own timestamp may be. Default 5
	// minutes. Authgear sends non-blocking events right after commit.
	MaxAge time.Duration

	// ClockSkew is how far in the future an event's timestamp may be.
	// Default 1 minute.
	ClockSkew time.Duration

	// Now reads the clock. Default time.Now.
	Now func() time.Time

	// Seen remembers delivered event IDs for MaxAge + ClockSkew. Default:
	// NewMemorySeen(Now), which protects one process only.
	Seen SeenStore

	// MaxBodyBytes bounds a delivery's body. Default 1 MiB (Authgear's
	// user.created is about 1.5 KB).
	MaxBodyBytes int64

	// Logger receives one line per refused or failed delivery (event ID
	// and type, never the body, which holds personal data). Default: silent.
	Logger *slog.Logger
}

// Handler is the http.Handler Authgear's webhooks are pointed at.
type Handler struct {
	cfg Config
}

// minSecretLen refuses a secret too short to be Authgear's (it makes 32).
const minSecretLen = 16

// New checks cfg and returns a Handler. Every error wraps ErrInvalidConfig.
func New(cfg Config) (*Handler, error) {
	if len(cfg.Secret) < minSecretLen {
		return nil, fmt.Errorf("%w: Secret must be the project's webhook secret (at least %d bytes)", ErrInvalidConfig, minSecretLen)
	}
	if cfg.OnEvent == nil {
		return nil, fmt.Errorf("%w: OnEvent is required", ErrInvalidConfig)
	}
	if cfg.MaxAge < 0 || cfg.ClockSkew < 0 || cfg.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("%w: MaxAge, ClockSkew and MaxBodyBytes must not be negative", ErrInvalidConfig)
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 5 * time.Minute
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Seen == nil {
		cfg.Seen = NewMemorySeen(cfg.Now)
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Secret = append(Secret(nil), cfg.Secret...)
	return &Handler{cfg: cfg}, nil
}

// ServeHTTP verifies, decodes and hands over one delivery.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, errors.New("webhook: POST only"))
		return
	}
	ev, answer, err := h.deliver(r.Context(), r)
	if err != nil {
		attrs := []any{"err", err}
		if ev != nil {
			attrs = append(attrs, "event_id", ev.ID, "event_type", string(ev.Type))
		}
		h.cfg.Logger.WarnContext(r.Context(), "webhook: delivery refused", attrs...)
		writeError(w, statusOf(err), err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(answer)
}

// answer is the JSON a delivery is answered with. Authgear reads it for
// blocking events and ignores it for the others.
type answer struct {
	IsAllowed bool   `json:"is_allowed"`
	Title     string `json:"title,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// deliver does the work of ServeHTTP for one request and returns the
// decoded event (when decoding got that far), the answer, and an error
// wrapping one of the package's sentinels when the delivery is refused.
func (h *Handler) deliver(ctx context.Context, r *http.Request) (*Event, answer, error) {
	deny := answer{}
	if r.ContentLength > h.cfg.MaxBodyBytes {
		return nil, deny, ErrTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, deny, ErrTooLarge
		}
		return nil, deny, fmt.Errorf("%w: reading the body: %v", ErrMalformed, err)
	}
	sigs := r.Header.Values(SignatureHeader)
	if len(sigs) > 1 {
		return nil, deny, fmt.Errorf("%w: more than one signature header", ErrBadSignature)
	}
	sig := ""
	if len(sigs) == 1 {
		sig = sigs[0]
	}
	if err := VerifySignature(h.cfg.Secret, body, sig); err != nil {
		return nil, deny, err
	}
	ev, err := DecodeEvent(body)
	if err != nil {
		return nil, deny, err
	}
	now := h.cfg.Now()
	ts := ev.Context.Timestamp
	if now.Sub(ts) > h.cfg.MaxAge {
		return ev, deny, fmt.Errorf("%w: event is %s old, more than %s", ErrStale, now.Sub(ts).Round(time.Second), h.cfg.MaxAge)
	}
	if ts.Sub(now) > h.cfg.ClockSkew {
		return ev, deny, fmt.Errorf("%w: event is %s in the future", ErrStale, ts.Sub(now).Round(time.Second))
	}
	// A replay passes the timestamp check until ts+MaxAge(+skew), so the
	// ID is remembered until then and no longer.
	fresh, err := h.cfg.Seen.Claim(ctx, ev.ID, ts.Add(h.cfg.MaxAge+h.cfg.ClockSkew))
	if err != nil {
		return ev, deny, fmt.Errorf("%w: %v", ErrSeenStore, err)
	}
	if !fresh {
		return ev, deny, ErrReplayed
	}
	// A panic in the application's code is a failure like an error: the
	// ID is forgotten (net/http then recovers the panic and drops the
	// connection), or a redelivery would be refused as a replay.
	handled := false
	defer func() {
		if !handled {
			h.release(ctx, ev)
		}
	}()
	if ev.Type.Blocking() {
		d := Decision{Allowed: true}
		if h.cfg.Allow != nil {
			if d, err = h.cfg.Allow(ctx, ev); err != nil {
				return ev, deny, fmt.Errorf("%w: %w", ErrHandler, err)
			}
		}
		handled = true
		a := answer{IsAllowed: d.Allowed}
		if !d.Allowed {
			// Authgear wants a title and a reason with a refusal.
			a.Title, a.Reason = nonEmpty(d.Title, "Not allowed"), nonEmpty(d.Reason, "The operation was refused.")
		}
		return ev, a, nil
	}
	if err := h.cfg.OnEvent(ctx, ev); err != nil {
		return ev, deny, fmt.Errorf("%w: %w", ErrHandler, err)
	}
	handled = true
	return ev, answer{IsAllowed: true}, nil
}

func (h *Handler) release(ctx context.Context, ev *Event) {
	if err := h.cfg.Seen.Release(context.WithoutCancel(ctx), ev.ID); err != nil {
		h.cfg.Logger.ErrorContext(ctx, "webhook: could not forget a failed event; a redelivery will be refused as a replay",
			"event_id", ev.ID, "err", err)
	}
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// statusOf maps a refusal to its HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnsigned), errors.Is(err, ErrBadSignature):
		return http.StatusUnauthorized
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	case errors.Is(err, ErrStale):
		return http.StatusForbidden
	case errors.Is(err, ErrReplayed):
		return http.StatusConflict
	case errors.Is(err, ErrSeenStore):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers with the sentinel's message only: details such as
// the application's error stay in the log.
func writeError(w http.ResponseWriter, status int, err error) {
	msg := err.Error()
	for _, s := range []error{ErrUnsigned, ErrBadSignature, ErrTooLarge, ErrMalformed, ErrStale, ErrReplayed, ErrSeenStore, ErrHandler} {
		if errors.Is(err, s) {
			msg = s.Error()
			break
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
