package agmigrate

import (
	"context"
	"net/http"

	"github.com/agmigrate/agmigrate/verifier"
)

// Source says how a request was authenticated.
type Source int

const (
	// SourceNone: no credentials (only when they are optional).
	SourceNone Source = iota
	// SourceAuthgear: an Authgear access token (header or cookie).
	SourceAuthgear
	// SourceExchanged: a legacy session, exchanged for an Authgear session
	// on this request (or reusing the exchange of an earlier one).
	SourceExchanged
	// SourceLegacy: a legacy session served as such: not rolled out, shadow
	// mode, a user missing from Authgear, or Authgear unreachable under the
	// fail-open policy.
	SourceLegacy
)

func (s Source) String() string {
	switch s {
	case SourceAuthgear:
		return "authgear"
	case SourceExchanged:
		return "exchanged"
	case SourceLegacy:
		return "legacy"
	}
	return "none"
}

// Identity is who the request is from. The handler reads it with
// IdentityFrom.
type Identity struct {
	// UserID is the Authgear user's uuid; empty for SourceLegacy when the
	// user was not found in Authgear, and for SourceNone.
	UserID string
	Source Source
	// Claims of the Authgear access token (SourceAuthgear and
	// SourceExchanged).
	Claims *verifier.AuthgearClaims
	// Legacy is the verified legacy identity, when a legacy session came
	// with the request.
	Legacy *verifier.LegacyIdentity
}

// Authenticated reports whether the request carries a verified identity.
func (id *Identity) Authenticated() bool { return id != nil && id.Source != SourceNone }

type contextKey struct{ name string }

func (k *contextKey) String() string { return "agmigrate context value " + k.name }

var identityKey = &contextKey{"identity"}

// identityCtx carries an Identity in one allocation (context.WithValue
// plus a separate Identity would take two; this runs on every request).
type identityCtx struct {
	context.Context
	id Identity
}

func (c *identityCtx) Value(key any) any {
	if key == identityKey {
		return &c.id
	}
	return c.Context.Value(key)
}

// WithIdentity returns a copy of ctx carrying id (for tests of handlers).
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey, id)
}

// IdentityFrom returns the identity the middleware put in the request's
// context, or nil.
func IdentityFrom(ctx context.Context) *Identity {
	id, _ := ctx.Value(identityKey).(*Identity)
	return id
}

func withIdentity(r *http.Request, id Identity) *http.Request {
	return r.WithContext(&identityCtx{Context: r.Context(), id: id})
}
