package adminapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// User is what the exchange needs to know about an Authgear user.
type User struct {
	NodeID             string // relay node ID, what createSession takes
	ID                 string // uuid, the sub of the user's access tokens
	IsDisabled         bool
	IsDeactivated      bool
	IsAnonymous        bool
	StandardAttributes map[string]any
	CreatedAt          time.Time // set by CreateUser; zero from GetUserByLoginID
}

// GetUserByLoginID finds the user with a login ID. key is a login ID key
// configured in the project ("email", "phone", "username" by default);
// value is sent as given (Authgear normalises case but does not trim).
// A user that does not exist gives ErrUserNotFound; a key or value Authgear
// refuses gives ErrInvalidLoginID.
func (c *Client) GetUserByLoginID(ctx context.Context, key, value string) (*User, error) {
	resp, err := GetUserByLoginID(ctx, c, key, value)
	if err != nil {
		return nil, err
	}
	u := resp.GetUserByLoginID
	if u == nil {
		return nil, ErrUserNotFound
	}
	id, err := UserIDFromNodeID(u.Id)
	if err != nil {
		return nil, fmt.Errorf("adminapi: Authgear returned a bad user ID: %w", err)
	}
	return &User{
		NodeID:             u.Id,
		ID:                 id,
		IsDisabled:         u.IsDisabled,
		IsDeactivated:      u.IsDeactivated,
		IsAnonymous:        u.IsAnonymous,
		StandardAttributes: u.StandardAttributes,
	}, nil
}

// Session is the result of createSession. It hides its tokens from fmt,
// slog and encoding/json (redact.go): read the fields to use them.
type Session struct {
	AccessToken  string
	RefreshToken string
	TokenType    string        // "Bearer"
	ExpiresIn    time.Duration // the access token's lifetime
}

// DeviceInfo describes the device a session is for; Authgear shows it in
// the user's session list. The SDKs send {"ios": {...}} or {"android":
// {...}}; any JSON object is accepted.
type DeviceInfo map[string]any

// EncodeDeviceInfo encodes d as createSession's deviceInfo argument wants:
// base64url without padding of the JSON object.
func EncodeDeviceInfo(d DeviceInfo) (string, error) {
	if d == nil {
		return "", errors.New("adminapi: nil device info")
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("adminapi: encoding device info: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CreateSession creates an Authgear session (a refresh-token grant) for the
// user with the given node ID on clientID. It does not check whether the
// user is disabled: Authgear itself creates a session for a disabled user,
// whose tokens are then useless, so callers check User.IsDisabled first.
// device may be nil.
func (c *Client) CreateSession(ctx context.Context, userNodeID, clientID string, device DeviceInfo) (*Session, error) {
	in := CreateSessionInput{UserID: userNodeID, ClientID: clientID}
	if device != nil {
		enc, err := EncodeDeviceInfo(device)
		if err != nil {
			return nil, err
		}
		in.DeviceInfo = &enc
	}
	resp, err := CreateSession(ctx, c, in)
	if err != nil {
		return nil, err
	}
	p := resp.CreateSession
	if p.AccessToken == "" || p.RefreshToken == "" {
		return nil, errors.New("adminapi: createSession returned no tokens")
	}
	return &Session{
		AccessToken:  p.AccessToken,
		RefreshToken: p.RefreshToken,
		TokenType:    p.TokenType,
		ExpiresIn:    time.Duration(p.ExpiresIn) * time.Second,
	}, nil
}
