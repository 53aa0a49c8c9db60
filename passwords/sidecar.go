package passwords

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Entry is one line of a sidecar file: the legacy hash of one user whose
// password Authgear could not import, with what is needed to check it.
// Sidecar files are JSON lines, written with mode 0600 because the hashes
// (and Firebase's parameters) allow offline guessing.
//
// For self-describing formats Hash is the hash string Parse reads and Salt
// is empty. For FormatFirebaseScrypt Hash and Salt are the account's
// base64 passwordHash and salt and Firebase holds the project's
// parameters; for FormatSaltedSHA, SaltedSHA says how Hash and Salt are
// written.
type Entry struct {
	LoginIDKey string           `json:"login_id_key"` // the Authgear login ID key: email, phone or username
	LoginID    string           `json:"login_id"`
	LegacyID   string           `json:"legacy_id,omitempty"`
	Format     Format           `json:"format"`
	Hash       string           `json:"hash"`
	Salt       string           `json:"salt,omitempty"`
	Firebase   *FirebaseParams  `json:"firebase,omitempty"`
	SaltedSHA  *SaltedSHAParams `json:"salted_sha,omitempty"`
	// Verified: the export says the user confirmed this email address or
	// phone number (always false for usernames, which need no
	// confirmation). Password capture asks for it: an unconfirmed address
	// may belong to someone else's Authgear account.
	Verified bool `json:"verified,omitempty"`
}

// Verifier returns the Verifier for the entry's hash. A self-describing
// hash must parse as the Format the entry names, so a line cannot claim
// one format and hold another.
func (e Entry) Verifier() (Verifier, error) {
	switch e.Format {
	case FormatFirebaseScrypt:
		if e.Firebase == nil {
			return nil, malformed(e.Format, "the entry has no firebase parameters")
		}
		return FirebaseScrypt(*e.Firebase, e.Hash, e.Salt)
	case FormatSaltedSHA:
		if e.SaltedSHA == nil {
			return nil, malformed(e.Format, "the entry has no salted_sha parameters")
		}
		return SaltedSHA(*e.SaltedSHA, e.Hash, e.Salt)
	}
	v, err := Parse(e.Hash)
	if err != nil {
		return nil, err
	}
	if e.Format != "" && v.Format() != e.Format {
		return nil, malformed(e.Format, "the hash is in another format (%s)", v.Format())
	}
	return v, nil
}

// Verify checks password against the entry's hash.
func (e Entry) Verify(password []byte) (bool, error) {
	v, err := e.Verifier()
	if err != nil {
		return false, err
	}
	return v.Verify(password)
}

// ReadSidecar reads a sidecar file's entries. Blank lines are skipped. An
// unreadable line is reported by number, never by content.
func ReadSidecar(r io.Reader) ([]Entry, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*MaxHashStringLen)
	var out []Entry
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var e Entry
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("passwords: sidecar line %d: not a sidecar entry: %w", n, ErrMalformed)
		}
		if e.LoginID == "" || e.Hash == "" {
			return nil, fmt.Errorf("passwords: sidecar line %d: login_id and hash are required: %w", n, ErrMalformed)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("passwords: sidecar: a line is too long: %w", ErrMalformed)
		}
		return nil, fmt.Errorf("passwords: sidecar: %w", err)
	}
	return out, nil
}

// WriteSidecar writes entries to path as JSON lines, mode 0600. It writes
// a new temporary file in the same directory (created exclusively, so a
// file or symlink planted under the name is never written through) and
// renames it over path.
func WriteSidecar(path string, entries []Entry) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+strings.TrimPrefix(base, ".")+".*.tmp")
	if err != nil {
		return fmt.Errorf("passwords: sidecar: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("passwords: sidecar: %w", err)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range entries {
		if err := enc.Encode(&entries[i]); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Sidecar is a sidecar file's entries indexed by login ID, for a login
// handler that looks up the hash of the user who is signing in.
type Sidecar struct {
	byID  map[string]Entry
	decoy *Entry // checked for a login ID with no entry (Check)
}

// NewSidecar indexes entries. Email login IDs are matched without regard
// to ASCII case; other login IDs, and every non-ASCII letter, exactly (a
// Unicode case fold would take the Kelvin sign in "\u212aate@" for the "k"
// of someone else's "kate@"). A login ID that two entries share under
// this matching (a case-sensitive legacy system's "alice@" and "ALICE@",
// or one listed twice) is ambiguous: neither entry is indexed, so neither
// account's hash can ever answer for the other's login.
func NewSidecar(entries []Entry) *Sidecar {
	s := &Sidecar{byID: make(map[string]Entry, len(entries))}
	ambiguous := map[string]bool{}
	for _, e := range entries {
		k := sidecarKey(e.LoginIDKey, e.LoginID)
		if _, dup := s.byID[k]; dup || ambiguous[k] {
			delete(s.byID, k)
			ambiguous[k] = true
			continue
		}
		s.byID[k] = e
		if s.decoy == nil {
			if _, err := e.Verifier(); err == nil {
				s.decoy = &e
			}
		}
	}
	return s
}

// Check looks the login ID up and checks password against its entry. ok
// is true only when there is an entry and the password matches it; an
// error means the entry's hash could not be checked. A login ID with no
// entry is checked against another entry's hash all the same, the answer
// thrown away, so the time a login takes does not tell which login IDs
// still have a legacy hash; Lookup followed by Verify does.
func (s *Sidecar) Check(loginIDKey, loginID string, password []byte) (e Entry, ok bool, err error) {
	e, found := s.Lookup(loginIDKey, loginID)
	if !found {
		if s.decoy != nil {
			_, _ = s.decoy.Verify(password)
		}
		return Entry{}, false, nil
	}
	ok, err = e.Verify(password)
	return e, ok, err
}

// Lookup returns the entry for a login ID. A handler that finds none
// should answer as it does for a wrong password, so the answer does not
// tell which login IDs still have a legacy hash.
func (s *Sidecar) Lookup(loginIDKey, loginID string) (Entry, bool) {
	e, ok := s.byID[sidecarKey(loginIDKey, loginID)]
	return e, ok
}

// Len is the number of login IDs indexed (ambiguous ones left out).
func (s *Sidecar) Len() int { return len(s.byID) }

func sidecarKey(key, id string) string {
	if key == "email" {
		id = strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + ('a' - 'A')
			}
			return r
		}, id)
	}
	return key + "\x00" + id
}
