package adminapi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// MaxAdminTokenLifetime is the longest lifetime the signer gives an admin
// JWT. Authgear enforces none, but a stolen admin JWT is as good as the
// admin key until it expires, so it stays short.
const MaxAdminTokenLifetime = 5 * time.Minute

// Signer makes the admin JWTs that authenticate Admin API calls, the way
// Authgear checks them: RS256, the key ID in the kid header, aud = [project
// ID], iat, and exp at most five minutes ahead. A token is reused until one
// fifth of its lifetime is left, then renewed. Safe for concurrent use.
type Signer struct {
	key       *AdminKey
	projectID string
	lifetime  time.Duration
	now       func() time.Time

	mu      sync.Mutex
	token   string
	renewAt time.Time
	signed  int // how many tokens were signed; tests read it
}

// NewSigner returns a signer for projectID (the project ID, e.g. "myapp",
// not a URL). lifetime 0 means MaxAdminTokenLifetime.
func NewSigner(key *AdminKey, projectID string, lifetime time.Duration) (*Signer, error) {
	switch {
	case key == nil:
		return nil, errors.New("adminapi: NewSigner: no admin key")
	case projectID == "":
		return nil, errors.New("adminapi: NewSigner: no project ID")
	case lifetime < 0 || lifetime > MaxAdminTokenLifetime:
		return nil, fmt.Errorf("adminapi: NewSigner: lifetime %v outside (0, %v]", lifetime, MaxAdminTokenLifetime)
	case lifetime == 0:
		lifetime = MaxAdminTokenLifetime
	}
	return &Signer{key: key, projectID: projectID, lifetime: lifetime, now: time.Now}, nil
}

// Token returns a valid admin JWT, signing a new one when the cached one is
// close to expiry. The context is unused today; it is there so that a
// signer backed by a remote key service can honour cancellation.
func (s *Signer) Token(_ context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Before(s.renewAt) {
		return s.token, nil
	}
	tok, err := s.sign(now)
	if err != nil {
		return "", err
	}
	s.token = tok
	s.signed++
	s.renewAt = now.Add(s.lifetime - s.lifetime/5)
	return tok, nil
}

func (s *Signer) sign(now time.Time) (string, error) {
	// Whole seconds: iat must never be in the future from Authgear's view.
	now = now.Truncate(time.Second)
	t, err := jwt.NewBuilder().
		Audience([]string{s.projectID}).
		IssuedAt(now).
		Expiration(now.Add(s.lifetime)).
		Build()
	if err != nil {
		return "", fmt.Errorf("adminapi: building admin JWT: %w", err)
	}
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.TypeKey, "JWT")
	signed, err := jwt.Sign(t, jwt.WithKey(jwa.RS256, s.key.key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("adminapi: signing admin JWT: %w", err)
	}
	return string(signed), nil
}
