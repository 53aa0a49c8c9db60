package authgeartest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// grant is an offline grant: one session with one refresh token.
type grant struct {
	id         string // uuid; the refresh token's prefix and the Session node's ID
	secret     string // the refresh token's random part
	userID     string
	clientID   string
	createdAt  time.Time
	lastUsedAt time.Time
	deviceInfo map[string]any
	ip         string // created by
	lastIP     string // last accessed by
	userAgent  string // of the last access
	refreshes  int
	seq        int // creation order, for equal creation times on a frozen clock
	// idp marks a login session (a sign-in at Authgear, type IDP): it has
	// no refresh token and is not counted by SessionCount or Sessions.
	idp bool
}

func (g *grant) refreshToken() string { return g.id + "." + g.secret }

// olderThan orders grants by creation time, then creation order.
func (g *grant) olderThan(o *grant) bool {
	if !g.createdAt.Equal(o.createdAt) {
		return g.createdAt.Before(o.createdAt)
	}
	return g.seq < o.seq
}

// accessToken is an issued access token, found by its hash (Authgear's jti
// is the same kind of hash).
type accessToken struct {
	grantID   string
	expiresAt time.Time
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// requestOrigin is scheme://host of the request, which Authgear puts in the
// iss and aud of the tokens it issues for that request.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// newGrantLocked creates a session for a user and client.
func (s *Server) newGrantLocked(userID, clientID string, device map[string]any, ip, userAgent string) *grant {
	now := s.opts.Now()
	g := &grant{id: newUUID(), secret: randomString(32), userID: userID, clientID: clientID,
		createdAt: now, lastUsedAt: now, deviceInfo: device, ip: ip, lastIP: ip, userAgent: userAgent}
	s.grantSeq++
	g.seq = s.grantSeq
	s.grants[g.id] = g
	return g
}

// issueAccessTokenLocked issues an access token for a grant, as a JWT or
// an opaque string depending on the client, with origin as iss and aud.
func (s *Server) issueAccessTokenLocked(g *grant, origin string, authTime time.Time) (string, time.Duration, error) {
	c := s.clients[g.clientID]
	u := s.users[g.userID]
	now := s.opts.Now()
	life := c.AccessTokenLifetime
	var tok string
	if c.OpaqueAccessTokens {
		tok = randomString(32)
	} else {
		opaque := randomString(32) // the JWT's jti is a hash of an opaque token, as in Authgear
		roles := rolesOf(u)
		b := jwt.NewBuilder().
			Issuer(origin).
			Audience([]string{origin}).
			Subject(u.ID).
			IssuedAt(now).
			Expiration(now.Add(life)).
			JwtID(tokenHash(opaque)).
			Claim("client_id", g.clientID).
			Claim("scope", "openid offline_access https://authgear.com/scopes/full-access").
			Claim("auth_time", authTime.Unix()).
			Claim("https://authgear.com/claims/user/is_anonymous", false).
			Claim("https://authgear.com/claims/user/is_verified", u.isVerified()).
			Claim("https://authgear.com/claims/user/can_reauthenticate", u.canReauthenticate()).
			Claim("https://authgear.com/claims/user/roles", roles)
		t, err := b.Build()
		if err != nil {
			return "", 0, err
		}
		signed, err := s.signLocked(t, "at+jwt")
		if err != nil {
			return "", 0, err
		}
		tok = signed
	}
	s.accessTokens[tokenHash(tok)] = &accessToken{grantID: g.id, expiresAt: now.Add(life)}
	return tok, life, nil
}

func (s *Server) signLocked(t jwt.Token, typ string) (string, error) {
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.TypeKey, typ)
	b, err := jwt.Sign(t, jwt.WithKey(jwa.RS256, s.signingKeys[0].priv, jws.WithProtectedHeaders(hdr)))
	return string(b), err
}

// issueIDTokenLocked issues the ID token a refresh returns (300 s, aud =
// the client ID, sid = the session).
func (s *Server) issueIDTokenLocked(g *grant, origin string) (string, error) {
	now := s.opts.Now()
	u := s.users[g.userID]
	t, err := jwt.NewBuilder().
		Issuer(origin).
		Audience([]string{g.clientID}).
		Subject(g.userID).
		IssuedAt(now).
		Expiration(now.Add(300*time.Second)).
		Claim("auth_time", g.createdAt.Unix()).
		Claim("sid", adminapi.NodeID("offline_grant", g.id)).
		Claim("https://authgear.com/claims/user/is_anonymous", false).
		Claim("https://authgear.com/claims/user/is_verified", s.users[g.userID].isVerified()).
		Claim("https://authgear.com/claims/user/can_reauthenticate", u.canReauthenticate()).
		Claim("https://authgear.com/claims/user/roles", rolesOf(s.users[g.userID])).
		Build()
	if err != nil {
		return "", err
	}
	return s.signLocked(t, "JWT")
}

// canReauthenticate is Authgear's can_reauthenticate claim: the user has
// an authenticator to sign in again with (here, a password).
func (u *User) canReauthenticate() bool { return u.passwordAuth() != nil }

func (u *User) isVerified() bool {
	v, _ := u.StandardAttributes["email_verified"].(bool)
	return v
}

// lookupAccessTokenLocked returns the live grant behind an access token.
func (s *Server) lookupAccessTokenLocked(tok string) *grant {
	at := s.accessTokens[tokenHash(strings.TrimSpace(tok))]
	if at == nil || !s.opts.Now().Before(at.expiresAt) {
		return nil
	}
	g := s.grants[at.grantID]
	if g == nil {
		return nil
	}
	if u := s.users[g.userID]; u == nil || u.Disabled || u.Deactivated {
		return nil
	}
	return g
}

func rolesOf(u *User) []any {
	roles := make([]any, 0, len(u.Roles))
	for _, r := range u.Roles {
		roles = append(roles, r)
	}
	return roles
}
