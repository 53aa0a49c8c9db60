package adminapi

import (
	"context"
	"fmt"
	"time"
)

// UserSession is one of a user's sessions as the Admin API lists them.
// (Session, the result of CreateSession, is the tokens of a new one.)
type UserSession struct {
	NodeID string // relay node ID, what RevokeSession takes
	// ID is the session's own ID. For an OFFLINE_GRANT session it is the
	// part of the refresh token before the ".".
	ID string
	// Type is SessionTypeIdp for a sign-in at Authgear's own pages and
	// SessionTypeOfflineGrant for a refresh-token grant (createSession's
	// among them).
	Type     SessionType
	ClientID string // "" for IDP sessions
	// DisplayName and ApplicationName are what Authgear derives from the
	// device info (the iOS/Android SDK shape) or, failing that, from the
	// User-Agent. A refresh without x_device_info clears the device info.
	DisplayName     string
	ApplicationName string
	// UserAgent is the User-Agent of the session's last access: the Admin
	// API call that created it, then each refresh.
	UserAgent        string
	CreatedAt        time.Time
	CreatedByIP      string
	LastAccessedAt   time.Time
	LastAccessedByIP string
}

// sessionPageSize is how many sessions one request asks for.
const sessionPageSize = 100

// maxSessionPages stops a listing whose cursor never ends.
const maxSessionPages = 1000

// ListSessions returns every session of the user, newest first, paging as
// needed. A user that does not exist gives ErrUserNotFound.
func (c *Client) ListSessions(ctx context.Context, userNodeID string) ([]UserSession, error) {
	if err := checkNodeType(userNodeID, "User"); err != nil {
		return nil, err
	}
	var out []UserSession
	var after *string
	for range maxSessionPages {
		resp, err := GetUserSessions(ctx, c, userNodeID, sessionPageSize, after)
		if err != nil {
			return nil, err
		}
		if resp.Node == nil {
			return nil, ErrUserNotFound
		}
		u, ok := (*resp.Node).(*GetUserSessionsNodeUser)
		if !ok {
			return nil, fmt.Errorf("%w: not a user", ErrUserNotFound)
		}
		if u.Sessions == nil {
			return out, nil
		}
		for _, e := range u.Sessions.Edges {
			if e == nil || e.Node == nil {
				continue
			}
			out = append(out, userSession(e.Node))
		}
		pi := u.Sessions.PageInfo
		if !pi.HasNextPage || pi.EndCursor == nil || *pi.EndCursor == "" || (after != nil && *after == *pi.EndCursor) {
			return out, nil
		}
		next := *pi.EndCursor
		after = &next
	}
	return nil, fmt.Errorf("adminapi: more than %d pages of sessions", maxSessionPages)
}

func userSession(n *GetUserSessionsNodeUserSessionsSessionConnectionEdgesSessionEdgeNodeSession) UserSession {
	s := UserSession{
		NodeID:           n.Id,
		Type:             n.Type,
		DisplayName:      n.DisplayName,
		CreatedAt:        n.CreatedAt,
		CreatedByIP:      n.CreatedByIP,
		LastAccessedAt:   n.LastAccessedAt,
		LastAccessedByIP: n.LastAccessedByIP,
	}
	if _, id, err := ParseNodeID(n.Id); err == nil {
		s.ID = id
	}
	if n.ClientID != nil {
		s.ClientID = *n.ClientID
	}
	if n.ApplicationName != nil {
		s.ApplicationName = *n.ApplicationName
	}
	if n.UserAgent != nil {
		s.UserAgent = *n.UserAgent
	}
	return s
}

// SessionNodeIDFromRefreshToken returns the node ID of the session a
// refresh token belongs to (its part before the "."), so a caller holding
// the token can revoke the session without listing.
func SessionNodeIDFromRefreshToken(refreshToken string) (string, error) {
	for i := 0; i < len(refreshToken); i++ {
		if refreshToken[i] == '.' {
			if id := refreshToken[:i]; IsUUID(id) {
				return NodeID("Session", id), nil
			}
			break
		}
	}
	return "", fmt.Errorf("%w: not a refresh token of the form <session uuid>.<secret>", ErrInvalidInput)
}

// RevokeSession ends one session at once: its refresh token and access
// tokens stop working. A session that no longer exists gives
// ErrSessionNotFound (see there why that is not certain).
func (c *Client) RevokeSession(ctx context.Context, sessionNodeID string) error {
	if err := checkNodeType(sessionNodeID, "Session"); err != nil {
		return err
	}
	_, err := RevokeSession(ctx, c, sessionNodeID)
	if err != nil && isBareUnexpected(err) {
		return fmt.Errorf("%w: %w", ErrSessionNotFound, err)
	}
	return err
}

// RevokeAllSessions ends every session of the user, those it signed in to
// at Authgear included. It is idempotent.
func (c *Client) RevokeAllSessions(ctx context.Context, userNodeID string) error {
	if err := checkNodeType(userNodeID, "User"); err != nil {
		return err
	}
	_, err := RevokeAllSessions(ctx, c, userNodeID)
	return err
}
