package authgeartest

import (
	"fmt"

	"github.com/agmigrate/agmigrate/adminapi"
)

// deleteUserGrantsLocked deletes every session of a user with its access
// tokens, and returns a function that puts them back (for a rolled-back
// request).
func (s *Server) deleteUserGrantsLocked(userID string) (restore func()) {
	var gone []*grant
	for _, g := range s.grants {
		if g.userID == userID {
			gone = append(gone, g)
		}
	}
	var tokens = map[string]*accessToken{}
	for _, g := range gone {
		for h, at := range s.accessTokens {
			if at.grantID == g.id {
				tokens[h] = at
			}
		}
		s.deleteGrantLocked(g.id)
	}
	return func() {
		for _, g := range gone {
			s.grants[g.id] = g
		}
		for h, at := range tokens {
			s.accessTokens[h] = at
		}
	}
}

// revokeSessionLocked ends one session at once. A session that is gone
// gives Authgear's bare "unexpected error".
func (ex *executor) revokeSessionLocked(in map[string]any) (any, *fieldErr) {
	s := ex.s
	nodeID, _ := in["sessionID"].(string)
	typ, id, err := adminapi.ParseNodeID(nodeID)
	if err != nil || typ != "Session" {
		return nil, invalid("invalid session ID")
	}
	g := s.grants[id]
	if g == nil {
		return nil, unexpected()
	}
	u := s.users[g.userID]
	tokens := map[string]*accessToken{}
	for h, at := range s.accessTokens {
		if at.grantID == id {
			tokens[h] = at
		}
	}
	s.deleteGrantLocked(id)
	ex.undo = append(ex.undo, func() {
		s.grants[g.id] = g
		for h, at := range tokens {
			s.accessTokens[h] = at
		}
	})
	return payload{"RevokeSessionPayload", u}, nil
}

// revokeAllSessionsLocked ends every session of a user; a user with none
// left is fine.
func (ex *executor) revokeAllSessionsLocked(in map[string]any) (any, *fieldErr) {
	s := ex.s
	u, fe := s.userFromInputLocked(in)
	if fe != nil {
		return nil, fe
	}
	ex.undo = append(ex.undo, s.deleteUserGrantsLocked(u.ID))
	return payload{"RevokeAllSessionsPayload", u}, nil
}

// RevokeAllSessions deletes every session of a user (by uuid), as the
// revokeAllSessions mutation does, and returns how many there were.
func (s *Server) RevokeAllSessions(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.grants {
		if g.userID == userID {
			n++
		}
	}
	s.deleteUserGrantsLocked(userID)
	return n
}

// Tokens are the tokens of a session the fake created.
type Tokens struct {
	SessionID    string // the offline grant uuid
	AccessToken  string
	RefreshToken string
}

// CreateSession creates a session for a user (by uuid) as createSession
// does, without the Admin API: for tests that need a session to exist.
// deviceInfo may be nil.
func (s *Server) CreateSession(userID, clientID string, deviceInfo map[string]any) (Tokens, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[userID] == nil {
		return Tokens{}, ErrUserNotFound
	}
	if s.clients[clientID] == nil {
		return Tokens{}, fmt.Errorf("authgeartest: unknown client %q", clientID)
	}
	g := s.newGrantLocked(userID, clientID, copyMap(deviceInfo), "127.0.0.1", "")
	at, _, err := s.issueAccessTokenLocked(g, s.URL, s.opts.Now())
	if err != nil {
		s.deleteGrantLocked(g.id)
		return Tokens{}, err
	}
	return Tokens{SessionID: g.id, AccessToken: at, RefreshToken: g.refreshToken()}, nil
}
