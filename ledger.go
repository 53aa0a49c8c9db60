package agmigrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/agmigrate/agmigrate/adminapi"
)

// The session ledger lists every session agmigrate created at Authgear, so
// that a cut-over can be undone exactly (package revoke). Authgear keeps no
// mark of its own that survives a refresh: the session's User-Agent and
// device info are replaced by those of each refresh (recorded cases
// 171-181). But a refresh token is "<session ID>.<secret>", and that ID is
// the session's ID for as long as it lives (cases 121-129), so agmigrate
// knows each session it creates at the moment it creates it, and writes it
// down. The ledger never holds a token.

// ErrBadLedgerEntry is wrapped by the error for a ledger entry that is
// malformed (read from a file or Redis, or given to RecordSession).
var ErrBadLedgerEntry = errors.New("agmigrate: malformed session ledger entry")

// CreatedSession is one session agmigrate created, as the session ledger
// records it: who and when, never a token.
type CreatedSession struct {
	// SessionID is the session's uuid at Authgear: the part of its refresh
	// token before the ".", and the ID of its Session node (NodeID).
	SessionID string
	// UserID is the user's uuid (the sub of their access tokens).
	UserID string
	// ClientID is the OAuth client the session is for.
	ClientID string
	// CreatedAt is when agmigrate created it, to the millisecond.
	CreatedAt time.Time
}

// NodeID returns the Session node ID that adminapi.Client.RevokeSession
// takes.
func (s CreatedSession) NodeID() string { return adminapi.NodeID("Session", s.SessionID) }

// Before reports whether s comes before o in ledger order: by creation
// time (milliseconds), then by session ID.
func (s CreatedSession) Before(o CreatedSession) bool {
	a, b := s.CreatedAt.UnixMilli(), o.CreatedAt.UnixMilli()
	if a != b {
		return a < b
	}
	return s.SessionID < o.SessionID
}

// ledgerLine is the stored form: short names, the time in Unix
// milliseconds (exact in a Redis score). The session ID comes first, so
// entries of one millisecond sort by it as bytes, as Before does.
type ledgerLine struct {
	S string `json:"s"`
	U string `json:"u"`
	C string `json:"c"`
	T int64  `json:"t"`
}

// MarshalJSON writes the ledger's stored form of s. It fails for an entry
// Validate refuses.
func (s CreatedSession) MarshalJSON() ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(ledgerLine{S: s.SessionID, U: s.UserID, C: s.ClientID, T: s.CreatedAt.UnixMilli()})
}

// UnmarshalJSON reads the ledger's stored form, refusing a malformed entry
// (ErrBadLedgerEntry).
func (s *CreatedSession) UnmarshalJSON(b []byte) error {
	var l ledgerLine
	if err := json.Unmarshal(b, &l); err != nil {
		return fmt.Errorf("%w: not JSON", ErrBadLedgerEntry)
	}
	c := CreatedSession{SessionID: l.S, UserID: l.U, ClientID: l.C, CreatedAt: time.UnixMilli(l.T).UTC()}
	if err := c.Validate(); err != nil {
		return err
	}
	*s = c
	return nil
}

// maxLedgerTime bounds creation times to years 1970-9999.
var maxLedgerTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).UnixMilli()

// Validate reports whether s can be recorded: uuids for the session and
// the user, a client ID of printable text, a time in years 1970 to 9999.
func (s CreatedSession) Validate() error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrBadLedgerEntry, what) }
	switch ms := s.CreatedAt.UnixMilli(); {
	case !adminapi.IsUUID(s.SessionID):
		return bad("the session ID is not a uuid")
	case !adminapi.IsUUID(s.UserID):
		return bad("the user ID is not a uuid")
	case !printable(s.ClientID, 256):
		return bad("the client ID is empty, too long or not printable")
	case ms <= 0 || ms > maxLedgerTime:
		return bad("the creation time is outside 1970-9999")
	}
	return nil
}

func printable(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// SessionLedger keeps the list of sessions agmigrate created. A Store may
// implement it (found by type assertion, like Locker): the in-memory store
// does, and so does redisstore. The exchange records every session it
// creates there; Config.OnSessionCreated is the hook for a ledger of the
// app's own. Package revoke reads it to undo a cut-over.
type SessionLedger interface {
	// RecordSession adds s. Recording a session that is already there
	// keeps one entry.
	RecordSession(ctx context.Context, s CreatedSession) error
	// CreatedSessions returns up to limit entries that come after `after`
	// in ledger order (see CreatedSession.Before), oldest first. The zero
	// CreatedSession starts at the beginning; one with only CreatedAt set
	// starts at entries created at that millisecond.
	CreatedSessions(ctx context.Context, after CreatedSession, limit int) ([]CreatedSession, error)
}

// LedgerCursor returns the position just after s, as text, for a state
// file; ParseLedgerCursor reads it back.
func LedgerCursor(s CreatedSession) string {
	return strconv.FormatInt(s.CreatedAt.UnixMilli(), 10) + ":" + s.SessionID
}

// ParseLedgerCursor reads a LedgerCursor: the position to pass as
// CreatedSessions' after.
func ParseLedgerCursor(c string) (CreatedSession, error) {
	for i := 0; i < len(c); i++ {
		if c[i] != ':' {
			continue
		}
		ms, err := strconv.ParseInt(c[:i], 10, 64)
		if err != nil || ms < 0 || ms > maxLedgerTime || (c[i+1:] != "" && !adminapi.IsUUID(c[i+1:])) {
			break
		}
		return CreatedSession{SessionID: c[i+1:], CreatedAt: time.UnixMilli(ms).UTC()}, nil
	}
	return CreatedSession{}, fmt.Errorf("%w: not a ledger cursor", ErrBadLedgerEntry)
}

// memLedger is the in-process ledger of a MemoryStore: it lives as long as
// the process, about 150 bytes per session created.
type memLedger struct {
	mu      sync.Mutex
	entries []CreatedSession // in ledger order
	ids     map[string]bool
}

func (l *memLedger) record(s CreatedSession) error {
	if err := s.Validate(); err != nil {
		return err
	}
	s.CreatedAt = time.UnixMilli(s.CreatedAt.UnixMilli()).UTC()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids[s.SessionID] {
		return nil
	}
	if l.ids == nil {
		l.ids = map[string]bool{}
	}
	l.ids[s.SessionID] = true
	// Nearly always the newest: appended.
	i := sort.Search(len(l.entries), func(i int) bool { return s.Before(l.entries[i]) })
	l.entries = append(l.entries, CreatedSession{})
	copy(l.entries[i+1:], l.entries[i:])
	l.entries[i] = s
	return nil
}

func (l *memLedger) list(after CreatedSession, limit int) []CreatedSession {
	l.mu.Lock()
	defer l.mu.Unlock()
	return pageAfter(l.entries, after, limit)
}

// pageAfter returns a copy of up to limit entries of sorted that come
// after `after`.
func pageAfter(sorted []CreatedSession, after CreatedSession, limit int) []CreatedSession {
	i := 0
	if !after.CreatedAt.IsZero() || after.SessionID != "" {
		i = sort.Search(len(sorted), func(i int) bool { return after.Before(sorted[i]) })
	}
	if limit <= 0 {
		return nil
	}
	n := min(limit, len(sorted)-i)
	return append([]CreatedSession(nil), sorted[i:i+n]...)
}

// RecordSession implements SessionLedger, in this process's memory.
func (s *MemoryStore) RecordSession(_ context.Context, c CreatedSession) error {
	return s.ledger.record(c)
}

// CreatedSessions implements SessionLedger.
func (s *MemoryStore) CreatedSessions(_ context.Context, after CreatedSession, limit int) ([]CreatedSession, error) {
	return s.ledger.list(after, limit), nil
}

var _ SessionLedger = (*MemoryStore)(nil)

// recordSession writes down a session an exchange (or password capture)
// just created: in the Store's ledger when it keeps one, and through
// Config.OnSessionCreated. A failure is logged, not returned: the user has
// the session either way, and the log line says which one the ledger
// misses.
func (x *Exchanger) recordSession(ctx context.Context, user *adminapi.User, sess *adminapi.Session) {
	nodeID, err := adminapi.SessionNodeIDFromRefreshToken(sess.RefreshToken)
	var id string
	if err == nil {
		_, id, err = adminapi.ParseNodeID(nodeID)
	}
	if err != nil {
		x.log.Error("agmigrate: a new session is not in the session ledger: its refresh token is not <session ID>.<secret>",
			"user_id", user.ID)
		return
	}
	c := CreatedSession{SessionID: id, UserID: user.ID, ClientID: x.clientID,
		CreatedAt: time.UnixMilli(x.now().UnixMilli()).UTC()}
	if l, ok := x.store.(SessionLedger); ok {
		if err := l.RecordSession(ctx, c); err != nil {
			x.log.Error("agmigrate: a new session is not in the session ledger; a revocation pass will not find it by the ledger",
				"user_id", user.ID, "session_id", id, "error", err)
		}
	}
	if x.onSession != nil {
		x.onSession(ctx, c)
	}
}
