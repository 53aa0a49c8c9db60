package authgeartest

import (
	"crypto/sha256"
	"fmt"
	"sort"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
)

type queryRoot struct{}

func (queryRoot) typeName() string { return "Query" }

func (queryRoot) field(ex *executor, name string, args map[string]any) (any, *fieldErr) {
	s := ex.s
	switch name {
	case "getUserByLoginID":
		key, _ := args["loginIDKey"].(string)
		val, _ := args["loginIDValue"].(string)
		if !s.hasLoginIDKey(key) {
			return nil, &fieldErr{msg: "invalid Login ID key", name: "Invalid", reason: "GetUsersInvalidArgument"}
		}
		u, err := s.lookupLoginIDLocked(key, val)
		if err != nil {
			return nil, &fieldErr{msg: "invalid Login ID value", name: "Invalid", reason: "GetUsersInvalidArgument"}
		}
		if u != nil {
			return userObj{u}, nil
		}
		return nil, nil
	case "getUsersByStandardAttribute":
		attr, _ := args["attributeName"].(string)
		val, _ := args["attributeValue"].(string)
		switch attr {
		case "email", "phone_number", "preferred_username":
		default:
			return nil, &fieldErr{msg: "invalid attribute name", name: "Invalid", reason: "GetUsersInvalidArgument"}
		}
		out := []any{}
		for _, id := range s.order {
			if u := s.users[id]; u != nil && u.standardAttributes()[attr] == val {
				out = append(out, userObj{u})
			}
		}
		return out, nil
	case "users":
		return s.usersLocked(args), nil
	case "node":
		id, _ := args["id"].(string)
		return s.nodeLocked(id), nil
	case "nodes":
		ids, _ := args["ids"].([]any)
		out := make([]any, len(ids))
		for i, id := range ids {
			idStr, _ := id.(string)
			if n := s.nodeLocked(idStr); n != nil {
				out[i] = n
			}
		}
		return out, nil
	}
	return nil, nil
}

func (s *Server) nodeLocked(nodeID string) object {
	typ, id, err := adminapi.ParseNodeID(nodeID)
	if err != nil {
		return nil
	}
	switch typ {
	case "User":
		if u := s.users[id]; u != nil {
			return userObj{u}
		}
	case "Session":
		if g := s.grants[id]; g != nil {
			return sessionObj{g}
		}
	}
	return nil
}

type mutationRoot struct{}

func (mutationRoot) typeName() string { return "Mutation" }

func (mutationRoot) field(ex *executor, name string, args map[string]any) (any, *fieldErr) {
	in, _ := args["input"].(map[string]any)
	switch name {
	case "createSession":
		return ex.createSessionLocked(in)
	case "createUser":
		return ex.createUserLocked(in)
	case "setDisabledStatus":
		return ex.setDisabledStatusLocked(in)
	case "resetPassword":
		return ex.resetPasswordLocked(in)
	case "updateUser":
		return ex.updateUserLocked(in)
	case "revokeSession":
		return ex.revokeSessionLocked(in)
	case "revokeAllSessions":
		return ex.revokeAllSessionsLocked(in)
	}
	return nil, nil
}

// createSessionLocked checks what Authgear checks, in the same order: the
// feature flag first, then the user ID's form, the device info, the client
// (existing, first-party), and the user's existence. Like Authgear it does
// not check whether the user is disabled.
func (ex *executor) createSessionLocked(in map[string]any) (any, *fieldErr) {
	s := ex.s
	if !s.createSession {
		return nil, &fieldErr{msg: "CreateSession is disabled", name: "Forbidden", reason: "Forbidden"}
	}
	nodeID, _ := in["userID"].(string)
	userID, err := adminapi.UserIDFromNodeID(nodeID)
	if err != nil {
		return nil, invalid("invalid user ID")
	}
	var device map[string]any
	if raw, ok := in["deviceInfo"].(string); ok {
		var valid bool
		if device, valid = decodeDeviceInfo(raw); !valid {
			return nil, invalid("invalid device info")
		}
	}
	clientID, _ := in["clientID"].(string)
	c := s.clients[clientID]
	if c == nil {
		return nil, invalid("invalid client ID")
	}
	if c.ThirdParty {
		return nil, invalid("cannot create session for non-first party client")
	}
	if s.users[userID] == nil {
		return nil, userNotFound()
	}
	g := s.newGrantLocked(userID, clientID, device, s.clientIP(ex.r), ex.r.UserAgent())
	at, life, err := s.issueAccessTokenLocked(g, requestOrigin(ex.r), s.opts.Now())
	if err != nil {
		return nil, &fieldErr{msg: "unexpected error occurred", name: "InternalError", reason: "UnexpectedError"}
	}
	ex.undo = append(ex.undo, func() { s.deleteGrantLocked(g.id) })
	return createSessionPayload{at, g.refreshToken(), int(life / time.Second)}, nil
}

type createSessionPayload struct {
	accessToken, refreshToken string
	expiresIn                 int
}

func (createSessionPayload) typeName() string { return "CreateSessionPayload" }

func (p createSessionPayload) field(_ *executor, name string, _ map[string]any) (any, *fieldErr) {
	switch name {
	case "accessToken":
		return p.accessToken, nil
	case "refreshToken":
		return p.refreshToken, nil
	case "tokenType":
		return "Bearer", nil
	case "expiresIn":
		return p.expiresIn, nil
	}
	return nil, nil
}

// payload is a mutation payload whose only field is user.
type payload struct {
	name string
	user *User
}

func (p payload) typeName() string { return p.name }

func (p payload) field(_ *executor, name string, _ map[string]any) (any, *fieldErr) {
	if name == "user" {
		return userObj{p.user}, nil
	}
	return nil, nil
}

func datetime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

type userObj struct{ u *User }

func (userObj) typeName() string { return "User" }

func (o userObj) field(ex *executor, name string, _ map[string]any) (any, *fieldErr) {
	u := o.u
	switch name {
	case "id":
		return adminapi.UserNodeID(u.ID), nil
	case "createdAt":
		return datetime(u.CreatedAt), nil
	case "updatedAt":
		return datetime(u.UpdatedAt), nil
	case "lastLoginAt":
		if u.LastLoginAt.IsZero() {
			return nil, nil
		}
		return datetime(u.LastLoginAt), nil
	case "isDisabled":
		return u.Disabled, nil
	case "disableReason":
		if u.DisableReason == "" {
			return nil, nil
		}
		return u.DisableReason, nil
	case "isDeactivated":
		return u.Deactivated, nil
	case "isAnonymous", "isAnonymized":
		return false, nil
	case "standardAttributes":
		return u.standardAttributes(), nil
	case "customAttributes":
		if u.CustomAttributes == nil {
			return map[string]any{}, nil
		}
		return u.CustomAttributes, nil
	case "loginIDs":
		return u.identities(), nil
	case "identities":
		return connection{"Identity", u.identities()}, nil
	case "authenticators":
		var items []any
		if a := u.passwordAuth(); a != nil {
			items = append(items, authenticatorNode{u, a})
		}
		return connection{"Authenticator", items}, nil
	case "sessions":
		var gs []*grant
		for _, g := range ex.s.grants {
			if g.userID == u.ID {
				gs = append(gs, g)
			}
		}
		sort.Slice(gs, func(i, j int) bool { return gs[j].olderThan(gs[i]) })
		items := make([]any, len(gs))
		for i, g := range gs {
			items[i] = sessionObj{g}
		}
		return connection{"Session", items}, nil
	}
	return nil, nil
}

func (u *User) identities() []any {
	var out []any
	for _, key := range []string{"email", "phone", "username"} {
		if v := u.loginIDValue(key); v != "" {
			out = append(out, identityObj{u, key, v})
		}
	}
	if out == nil {
		out = []any{}
	}
	return out
}

type identityObj struct {
	u        *User
	key, val string
}

func (identityObj) typeName() string { return "Identity" }

func (o identityObj) field(_ *executor, name string, _ map[string]any) (any, *fieldErr) {
	switch name {
	case "id":
		return adminapi.NodeID("Identity", o.u.ID+"-"+o.key), nil
	case "type":
		return "LOGIN_ID", nil
	case "claims":
		return o.claims(), nil
	case "createdAt", "updatedAt":
		return datetime(o.u.CreatedAt), nil
	}
	return nil, nil
}

type sessionObj struct{ g *grant }

func (sessionObj) typeName() string { return "Session" }

func (o sessionObj) field(_ *executor, name string, _ map[string]any) (any, *fieldErr) {
	g := o.g
	switch name {
	case "id":
		return adminapi.NodeID("Session", g.id), nil
	case "type":
		return g.sessionType(), nil
	case "clientID":
		if g.idp {
			return nil, nil
		}
		return g.clientID, nil
	case "amr":
		return []any{}, nil
	case "acr":
		return nil, nil
	case "userAgent":
		return g.userAgent, nil
	case "displayName":
		return g.displayName(), nil
	case "applicationName":
		return applicationName(g.deviceInfo), nil
	case "createdAt", "updatedAt":
		return datetime(g.createdAt), nil
	case "lastAccessedAt":
		return datetime(g.lastUsedAt), nil
	case "createdByIP":
		return g.ip, nil
	case "lastAccessedByIP":
		return g.lastIP, nil
	case "lastAccessedByIPCountryCode", "lastAccessedByIPEnglishCountryName":
		return "", nil
	}
	return nil, nil
}

// deviceString digs a string out of device info; "" when absent. (Authgear
// maps iOS machine codes such as "iPhone15,2" to model names; the fake
// shows the code.)
func deviceString(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[p]
	}
	s, _ := cur.(string)
	return s
}

// claims are an identity's claims: the normalised value, and the value as
// it was given (trimmed) when the identity was created.
func (o identityObj) claims() map[string]any {
	claim := map[string]string{"email": "email", "phone": "phone_number", "username": "preferred_username"}[o.key]
	orig := o.u.originals[o.key]
	if orig == "" {
		orig = o.val
	}
	return map[string]any{
		claim: o.val,
		"https://authgear.com/claims/login_id/key":            o.key,
		"https://authgear.com/claims/login_id/original_value": orig,
		"https://authgear.com/claims/login_id/type":           o.key,
		"https://authgear.com/claims/login_id/value":          o.val,
	}
}

// uuid is a stable uuid for the identity, made from the user and the key.
func (o identityObj) uuid() string {
	h := sha256.Sum256([]byte(o.u.ID + "/" + o.key))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
