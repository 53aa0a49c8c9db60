package webhook

import "errors"

// Errors a Handler refuses a delivery with. Match them with errors.Is; the
// Handler reports them to Config.Logger and answers with their message.
var (
	// ErrInvalidConfig is wrapped by every error New returns.
	ErrInvalidConfig = errors.New("webhook: invalid config")
	// ErrUnsigned: the delivery has no X-Authgear-Body-Signature header.
	ErrUnsigned = errors.New("webhook: delivery is not signed")
	// ErrBadSignature: the signature does not match the body under the
	// configured secret: the body was altered, or the secret is not this
	// project's.
	ErrBadSignature = errors.New("webhook: signature does not match the body")
	// ErrMalformed: a signed body that is not an Authgear event.
	ErrMalformed = errors.New("webhook: malformed event")
	// ErrStale: the event's own timestamp is older than the configured
	// window, or further in the future than the allowed clock skew.
	ErrStale = errors.New("webhook: event timestamp outside the accepted window")
	// ErrReplayed: an event with this ID was already delivered within the
	// window; the application's function is not called again.
	ErrReplayed = errors.New("webhook: event already delivered")
	// ErrTooLarge: the body is larger than Config.MaxBodyBytes.
	ErrTooLarge = errors.New("webhook: body too large")
	// ErrSeenStore: the store of seen event IDs failed, so a replay could
	// not be ruled out and the event was not handled.
	ErrSeenStore = errors.New("webhook: seen-event store failed")
	// ErrHandler: the application's function returned an error; the event
	// is forgotten, so a reconciliation pass (or a redelivery) handles it.
	ErrHandler = errors.New("webhook: application failed to handle the event")
)
