package adminapi

import (
	"context"
	"fmt"
	"time"
)

// ListedUser is one user of a ListUsers page.
type ListedUser struct {
	NodeID             string // relay node ID
	ID                 string // uuid
	CreatedAt          time.Time
	IsDisabled         bool
	StandardAttributes map[string]any
	// Cursor is this user's place in the listing; passing it as After
	// continues after this user.
	Cursor string
}

// UserPage is one page of ListUsers.
type UserPage struct {
	Users []ListedUser
	// EndCursor continues after the last user of the page; "" when the
	// page is empty.
	EndCursor   string
	HasNextPage bool
}

// ListUsersOptions selects a page of users ordered by creation time.
type ListUsersOptions struct {
	// First is the page size. Default 100.
	First int
	// After is the cursor to continue from (a ListedUser.Cursor or a
	// UserPage.EndCursor). Default: from the start.
	After string
	// Newest lists the newest users first. Default: oldest first.
	Newest bool
}

// ListUsers returns a page of users ordered by creation time. The listing
// comes from Authgear's search index, which trails writes by a moment: a
// user created a second ago may not be listed yet.
func (c *Client) ListUsers(ctx context.Context, opts ListUsersOptions) (*UserPage, error) {
	first := opts.First
	if first <= 0 {
		first = 100
	}
	var after *string
	if opts.After != "" {
		after = &opts.After
	}
	dir := SortDirectionAsc
	if opts.Newest {
		dir = SortDirectionDesc
	}
	resp, err := ListUsers(ctx, c, first, after, dir)
	if err != nil {
		return nil, err
	}
	page := &UserPage{}
	conn := resp.Users
	if conn == nil {
		return page, nil
	}
	for _, e := range conn.Edges {
		if e == nil || e.Node == nil {
			continue
		}
		id, err := UserIDFromNodeID(e.Node.Id)
		if err != nil {
			return nil, fmt.Errorf("adminapi: Authgear listed a bad user ID: %w", err)
		}
		page.Users = append(page.Users, ListedUser{
			NodeID:             e.Node.Id,
			ID:                 id,
			CreatedAt:          e.Node.CreatedAt,
			IsDisabled:         e.Node.IsDisabled,
			StandardAttributes: e.Node.StandardAttributes,
			Cursor:             e.Cursor,
		})
	}
	if conn.PageInfo.EndCursor != nil {
		page.EndCursor = *conn.PageInfo.EndCursor
	}
	page.HasNextPage = conn.PageInfo.HasNextPage
	return page, nil
}

// CreateUser creates a user with one login ID (key "email", "phone" or
// "username" by default). An empty password creates the user without one
// (Authgear would take "" as "generate a password", which is never what
// this client means). The project's password policy applies
// (ErrPasswordPolicy); a login ID another user holds once normalised gives
// ErrUserExists. The password is never sent to the user and not marked
// expired. Authgear fires user.pre_create and user.created for it.
func (c *Client) CreateUser(ctx context.Context, loginIDKey, loginIDValue, password string) (*User, error) {
	var pw *string
	if password != "" {
		pw = &password
	}
	resp, err := CreateUser(ctx, c, loginIDKey, loginIDValue, pw)
	if err != nil {
		return nil, err
	}
	u := resp.CreateUser.User
	id, err := UserIDFromNodeID(u.Id)
	if err != nil {
		return nil, fmt.Errorf("adminapi: Authgear returned a bad user ID: %w", err)
	}
	return &User{
		NodeID:             u.Id,
		ID:                 id,
		CreatedAt:          u.CreatedAt,
		IsDisabled:         u.IsDisabled,
		StandardAttributes: u.StandardAttributes,
	}, nil
}

// SetDisabledStatus disables (disabled true, with an optional reason shown
// in the portal) or re-enables a user. Disabling ends every session of the
// user at once, and re-enabling does not bring them back. Asking for the
// status the user already has gives ErrStatusUnchanged.
func (c *Client) SetDisabledStatus(ctx context.Context, userNodeID string, disabled bool, reason string) error {
	if err := checkNodeType(userNodeID, "User"); err != nil {
		return err
	}
	var r *string
	if disabled && reason != "" {
		r = &reason
	}
	_, err := SetDisabledStatus(ctx, c, userNodeID, disabled, r)
	return err
}

// ResetPassword sets the user's primary password, creating it when the
// user has none (as after a User Import, which drops passwords on upsert).
// Nothing is sent to the user and the password is not marked expired. The
// project's password policy applies (ErrPasswordPolicy).
func (c *Client) ResetPassword(ctx context.Context, userNodeID, password string) error {
	if err := checkNodeType(userNodeID, "User"); err != nil {
		return err
	}
	if password == "" {
		return fmt.Errorf("%w: empty password", ErrInvalidInput)
	}
	_, err := ResetPassword(ctx, c, userNodeID, password)
	return err
}

// Authenticator is one way a user proves who they are.
type Authenticator struct {
	NodeID      string
	Type        AuthenticatorType // PASSWORD, TOTP, OOB_OTP_EMAIL, …
	Kind        AuthenticatorKind // PRIMARY or SECONDARY
	IsDefault   bool
	ExpireAfter *time.Time // when a password must be changed; nil: never
	CreatedAt   time.Time
}

// maxAuthenticators bounds one listing; a user has a handful.
const maxAuthenticators = 100

// Authenticators lists the user's authenticators. A user that does not
// exist gives ErrUserNotFound.
func (c *Client) Authenticators(ctx context.Context, userNodeID string) ([]Authenticator, error) {
	if err := checkNodeType(userNodeID, "User"); err != nil {
		return nil, err
	}
	resp, err := GetUserAuthenticators(ctx, c, userNodeID, maxAuthenticators)
	if err != nil {
		return nil, err
	}
	if resp.Node == nil {
		return nil, ErrUserNotFound
	}
	u, ok := (*resp.Node).(*GetUserAuthenticatorsNodeUser)
	if !ok {
		return nil, fmt.Errorf("%w: not a user", ErrUserNotFound)
	}
	var out []Authenticator
	if u.Authenticators == nil {
		return out, nil
	}
	for _, e := range u.Authenticators.Edges {
		if e == nil || e.Node == nil {
			continue
		}
		n := e.Node
		out = append(out, Authenticator{
			NodeID: n.Id, Type: n.Type, Kind: n.Kind, IsDefault: n.IsDefault,
			ExpireAfter: n.ExpireAfter, CreatedAt: n.CreatedAt,
		})
	}
	return out, nil
}

// HasPassword reports whether the user has a primary password, i.e. can
// sign in with one. Users imported without a password (or whose password
// an upsert dropped) have none until ResetPassword gives them one.
func (c *Client) HasPassword(ctx context.Context, userNodeID string) (bool, error) {
	as, err := c.Authenticators(ctx, userNodeID)
	if err != nil {
		return false, err
	}
	for _, a := range as {
		if a.Type == AuthenticatorTypePassword && a.Kind == AuthenticatorKindPrimary {
			return true, nil
		}
	}
	return false, nil
}

// checkNodeType refuses, before any request, an ID that is not a node ID
// of the given type.
func checkNodeType(nodeID, want string) error {
	typ, _, err := ParseNodeID(nodeID)
	if err != nil {
		return err
	}
	if typ != want {
		return fmt.Errorf("%w: a %s node, not a %s", ErrInvalidNodeID, typ, want)
	}
	return nil
}
