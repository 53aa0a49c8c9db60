package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/agmigrate/agmigrate/webhook"
)

// legacyUser is a record of the toy legacy system. A real one is a row in
// the old application's users table; AuthgearID links it to Authgear.
type legacyUser struct {
	AuthgearID string
	Email      string
	Name       string
	Disabled   bool
	CreatedAt  time.Time
}

// legacyStore stands in for the legacy database.
type legacyStore struct {
	mu    sync.Mutex
	users map[string]*legacyUser // by Authgear user ID
}

func newLegacyStore() *legacyStore { return &legacyStore{users: map[string]*legacyUser{}} }

// Exists reports whether a record links to the Authgear user; Reconcile
// asks it before mirroring.
func (s *legacyStore) Exists(_ context.Context, authgearID string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.users[authgearID]
	return ok, nil
}

func (s *legacyStore) get(authgearID string) (legacyUser, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[authgearID]
	if !ok {
		return legacyUser{}, false
	}
	return *u, true
}

func (s *legacyStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users)
}

// Mirror is the application's webhook.Func: it keeps the legacy record of
// an Authgear user in step with Authgear's events. Every branch is
// idempotent by user ID, since Reconcile may bring a user a delivery
// already brought.
func (s *legacyStore) Mirror(_ context.Context, ev *webhook.Event) error {
	u := ev.User
	if u == nil {
		return nil // not a user event; nothing to mirror
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.users[u.ID]
	switch ev.Type {
	case webhook.UserCreated:
		if rec != nil {
			return nil // already mirrored
		}
		if u.Email() == "" {
			return errors.New("legacy: the old app needs an email, the user has none")
		}
		s.users[u.ID] = &legacyUser{AuthgearID: u.ID, Email: u.Email(), Name: name(u), Disabled: u.IsDisabled, CreatedAt: u.CreatedAt}
	case webhook.UserProfileUpdated, webhook.IdentityEmailUpdated:
		if rec != nil {
			rec.Email, rec.Name = u.Email(), name(u)
		}
	case webhook.UserDisabled, webhook.UserReenabled:
		if rec != nil {
			rec.Disabled = u.IsDisabled
		}
	case webhook.UserDeleted:
		delete(s.users, u.ID)
	}
	return nil
}

func name(u *webhook.User) string {
	n, _ := u.StandardAttributes["name"].(string)
	return n
}
