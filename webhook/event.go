package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// EventType names an Authgear event, e.g. "user.created".
type EventType string

// The events a legacy mirror cares about (non-blocking: sent once, after
// commit, never retried).
const (
	UserCreated             EventType = "user.created"
	UserProfileUpdated      EventType = "user.profile.updated"
	UserDisabled            EventType = "user.disabled"
	UserReenabled           EventType = "user.reenabled"
	UserDeletionScheduled   EventType = "user.deletion_scheduled"
	UserDeletionUnscheduled EventType = "user.deletion_unscheduled"
	UserDeleted             EventType = "user.deleted"
	UserAnonymousPromoted   EventType = "user.anonymous.promoted"
	IdentityEmailUpdated    EventType = "identity.email.updated"
)

// Blocking events: Authgear waits for the answer before it goes on.
const (
	UserPreCreate                EventType = "user.pre_create"
	UserProfilePreUpdate         EventType = "user.profile.pre_update"
	UserPreScheduleDeletion      EventType = "user.pre_schedule_deletion"
	UserPreScheduleAnonymization EventType = "user.pre_schedule_anonymization"
	AuthenticationPreInitialize  EventType = "authentication.pre_initialize"
	AuthenticationPostIdentified EventType = "authentication.post_identified"
	AuthenticationPreAuthd       EventType = "authentication.pre_authenticated"
	OIDCJWTPreCreate             EventType = "oidc.jwt.pre_create"
	OIDCIDTokenPreCreate         EventType = "oidc.id_token.pre_create"
)

var blocking = map[EventType]bool{
	UserPreCreate: true, UserProfilePreUpdate: true, UserPreScheduleDeletion: true,
	UserPreScheduleAnonymization: true, AuthenticationPreInitialize: true,
	AuthenticationPostIdentified: true, AuthenticationPreAuthd: true,
	OIDCJWTPreCreate: true, OIDCIDTokenPreCreate: true,
}

// Blocking reports whether Authgear waits for an answer to events of type t.
func (t EventType) Blocking() bool { return blocking[t] }

// userEvents carry payload.user; decoding refuses them without one.
var userEvents = map[EventType]bool{
	UserCreated: true, UserProfileUpdated: true, UserDisabled: true, UserReenabled: true,
	UserDeletionScheduled: true, UserDeletionUnscheduled: true, UserDeleted: true,
	UserAnonymousPromoted: true, IdentityEmailUpdated: true, UserPreCreate: true,
	UserProfilePreUpdate: true, UserPreScheduleDeletion: true, UserPreScheduleAnonymization: true,
}

// Event is one Authgear event delivery, decoded.
type Event struct {
	// ID is the event's ID (its sequence number as 16 hex digits). It is
	// unique per project; the Handler calls the application once per ID.
	ID      string
	Seq     int64
	Type    EventType
	Context Context
	// User is payload.user: the user the event is about, as it is after
	// the change. Nil for events without one.
	User *User
	// Identities is payload.identities (user.created, user.pre_create).
	Identities []Identity
	// Payload is the raw payload, for fields not decoded here (the
	// identity of identity.* events, the session of user.authenticated…).
	Payload json.RawMessage
	// Reconciled is true for an Event that Reconcile made up for a user
	// whose delivery was missed; it has no ID, Seq or Context.
	Reconciled bool
}

// Context is the event's context object.
type Context struct {
	// Timestamp is when the event happened (Unix seconds on the wire).
	Timestamp time.Time
	// UserID is the user who triggered the event, when there is one.
	UserID string
	// TriggeredBy says who caused it: "user", "admin_api", "system", …
	TriggeredBy string
	AppID       string
	Language    string
	IPAddress   string
}

// User is the user object of an event payload.
type User struct {
	// ID is the user's uuid: the sub of their Authgear tokens, and the ID
	// to keep in the legacy record.
	ID                 string         `json:"id"`
	CreatedAt          time.Time      `json:"created_at"`
	UpdatedAt          time.Time      `json:"updated_at"`
	LastLoginAt        *time.Time     `json:"last_login_at,omitempty"`
	IsAnonymous        bool           `json:"is_anonymous"`
	IsVerified         bool           `json:"is_verified"`
	IsDisabled         bool           `json:"is_disabled"`
	IsDeactivated      bool           `json:"is_deactivated"`
	IsAnonymized       bool           `json:"is_anonymized"`
	DeleteAt           *time.Time     `json:"delete_at,omitempty"`
	StandardAttributes map[string]any `json:"standard_attributes"`
	CustomAttributes   map[string]any `json:"custom_attributes"`
	Roles              []string       `json:"roles"`
	Groups             []string       `json:"groups"`
}

// Email returns the user's email standard attribute, or "".
func (u *User) Email() string { return u.attr("email") }

// PhoneNumber returns the user's phone_number standard attribute, or "".
func (u *User) PhoneNumber() string { return u.attr("phone_number") }

// PreferredUsername returns the preferred_username standard attribute, or "".
func (u *User) PreferredUsername() string { return u.attr("preferred_username") }

func (u *User) attr(name string) string {
	if u == nil {
		return ""
	}
	s, _ := u.StandardAttributes[name].(string)
	return s
}

// Identity is one identity of the user (a login ID, an OAuth link, …).
type Identity struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"` // "login_id", "oauth", …
	UserID    string         `json:"user_id"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	Claims    map[string]any `json:"claims"`
}

// Claims Authgear puts on a login ID identity.
const (
	ClaimLoginIDKey   = "https://authgear.com/claims/login_id/key"
	ClaimLoginIDValue = "https://authgear.com/claims/login_id/value"
	ClaimLoginIDType  = "https://authgear.com/claims/login_id/type"
)

// LoginID returns the key ("email", "phone", "username", …) and the
// normalised value of a login ID identity; ok is false for other identities.
func (id Identity) LoginID() (key, value string, ok bool) {
	if id.Type != "login_id" {
		return "", "", false
	}
	key, _ = id.Claims[ClaimLoginIDKey].(string)
	value, _ = id.Claims[ClaimLoginIDValue].(string)
	return key, value, key != "" && value != ""
}

// wireEvent is the JSON shape Authgear sends.
type wireEvent struct {
	ID      string          `json:"id"`
	Seq     int64           `json:"seq"`
	Type    EventType       `json:"type"`
	Payload json.RawMessage `json:"payload"`
	Context struct {
		Timestamp   int64   `json:"timestamp"`
		UserID      *string `json:"user_id"`
		TriggeredBy string  `json:"triggered_by"`
		AppID       string  `json:"app_id"`
		Language    string  `json:"language"`
		IPAddress   string  `json:"ip_address"`
	} `json:"context"`
}

// maxIDLen bounds the event ID kept in the seen-store.
const maxIDLen = 128

// DecodeEvent parses an event body. It checks the shape (an ID, a type, a
// timestamp, and a user for the user events) but not the signature:
// decode only a body VerifySignature accepted.
func DecodeEvent(body []byte) (*Event, error) {
	var w wireEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the event", ErrMalformed)
	}
	switch {
	case w.ID == "" || len(w.ID) > maxIDLen:
		return nil, fmt.Errorf("%w: missing or oversized id", ErrMalformed)
	case w.Type == "":
		return nil, fmt.Errorf("%w: missing type", ErrMalformed)
	case w.Context.Timestamp <= 0:
		return nil, fmt.Errorf("%w: missing context.timestamp", ErrMalformed)
	}
	ev := &Event{
		ID: w.ID, Seq: w.Seq, Type: w.Type, Payload: w.Payload,
		Context: Context{
			Timestamp:   time.Unix(w.Context.Timestamp, 0).UTC(),
			TriggeredBy: w.Context.TriggeredBy,
			AppID:       w.Context.AppID,
			Language:    w.Context.Language,
			IPAddress:   w.Context.IPAddress,
		},
	}
	if w.Context.UserID != nil {
		ev.Context.UserID = *w.Context.UserID
	}
	if len(w.Payload) > 0 && string(w.Payload) != "null" {
		var p struct {
			User       *User      `json:"user"`
			Identities []Identity `json:"identities"`
		}
		if err := json.Unmarshal(w.Payload, &p); err != nil {
			return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
		}
		ev.User, ev.Identities = p.User, p.Identities
	}
	if userEvents[w.Type] && (ev.User == nil || ev.User.ID == "") {
		return nil, fmt.Errorf("%w: %s without payload.user.id", ErrMalformed, w.Type)
	}
	return ev, nil
}
