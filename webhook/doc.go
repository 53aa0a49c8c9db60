// Package webhook receives Authgear's webhook deliveries, so that users who
// sign up at Authgear during a migration get a record in the legacy system
// (an older app version that still reads the legacy system then finds them).
//
// A Handler checks each delivery the way Authgear signs it: the header
// X-Authgear-Body-Signature is the lowercase hex HMAC-SHA256 of the raw body,
// keyed with the octets of the project's webhook secret (the string the
// portal shows). That signature carries no timestamp or nonce, so the Handler
// also refuses a delivery whose event timestamp is outside a window, and
// remembers event IDs for that window to refuse a replay. A verified, fresh,
// first-seen event is decoded into an Event and handed to the application's
// function, once per event ID.
//
// Authgear sends a non-blocking event (user.created, …) once, after commit,
// and never retries it. A delivery lost to an outage is therefore never
// repeated: Reconcile walks the Admin API's user listing by creation time
// and hands every user the legacy system lacks to the same function.
//
// Blocking events (user.pre_create, …) are answered {"is_allowed": true}
// unless the application's Allow function decides otherwise.
package webhook
