package agmigrate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"sync"
)

// ErrLedgerFileReadable is returned by OpenFileLedger for a file that other
// users of the machine may read or write: it lists who was migrated, and a
// line written into it makes a revocation pass end that session.
var ErrLedgerFileReadable = errors.New("agmigrate: the session ledger file is open to other users")

// FileLedger is a SessionLedger in a file of JSON lines (mode 0600), one
// line per session, appended as sessions are created: for an app with
// one replica and no Redis, wired through Config.OnSessionCreated, and read
// back by `agmigrate sessions revoke --migrated --ledger FILE`. Several
// processes may append to one file on a local disk (each line is one
// O_APPEND write), not on a network file system.
type FileLedger struct {
	path string

	mu     sync.Mutex
	f      *os.File         // for appending; nil when opened to read only
	cache  []CreatedSession // the file's entries in ledger order, as of size
	size   int64
	closed bool
}

// OpenFileLedger opens (creating, mode 0600) the ledger file at path for
// recording and reading. It refuses a file other users can read or write.
func OpenFileLedger(path string) (*FileLedger, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("agmigrate: session ledger: %w", err)
	}
	if err := checkPrivate(f); err != nil {
		f.Close()
		return nil, err
	}
	return &FileLedger{path: path, f: f}, nil
}

// ReadFileLedger opens an existing ledger file to read only (the command
// line tool does).
func ReadFileLedger(path string) (*FileLedger, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("agmigrate: session ledger: %w", err)
	}
	defer f.Close()
	if err := checkPrivate(f); err != nil {
		return nil, err
	}
	return &FileLedger{path: path}, nil
}

func checkPrivate(f *os.File) error {
	if runtime.GOOS == "windows" {
		return nil // permission bits say nothing there
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("agmigrate: session ledger: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w (mode %04o): chmod 600 it", ErrLedgerFileReadable, perm)
	}
	return nil
}

// RecordSession implements SessionLedger: one line appended and synced to
// disk.
func (l *FileLedger) RecordSession(_ context.Context, s CreatedSession) error {
	b, err := s.MarshalJSON()
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.f == nil {
		return errors.New("agmigrate: session ledger: not open for recording")
	}
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("agmigrate: session ledger: %w", err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("agmigrate: session ledger: %w", err)
	}
	return nil
}

// CreatedSessions implements SessionLedger. The file is read again when it
// has grown since the last call.
func (l *FileLedger) CreatedSessions(_ context.Context, after CreatedSession, limit int) ([]CreatedSession, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errors.New("agmigrate: session ledger: closed")
	}
	fi, err := os.Stat(l.path)
	if err != nil {
		return nil, fmt.Errorf("agmigrate: session ledger: %w", err)
	}
	if fi.Size() != l.size || l.cache == nil {
		f, err := os.Open(l.path)
		if err != nil {
			return nil, fmt.Errorf("agmigrate: session ledger: %w", err)
		}
		entries, n, err := ReadLedgerLines(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		l.cache, l.size = entries, n
	}
	return pageAfter(l.cache, after, limit), nil
}

// Close closes the file.
func (l *FileLedger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.f != nil {
		return l.f.Close()
	}
	return nil
}

// maxLedgerLine bounds one line; an entry takes about 150 bytes.
const maxLedgerLine = 4096

// ReadLedgerLines reads ledger entries written one JSON object per line,
// and returns them in ledger order without duplicates, with the number of
// bytes read. Empty lines are skipped, and so is a last line without its
// newline (a write cut short by a crash, which never finished recording);
// any other malformed line is an error naming its line number.
func ReadLedgerLines(r io.Reader) ([]CreatedSession, int64, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var out []CreatedSession
	seen := map[string]bool{}
	var n int64
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || (len(b) > maxLedgerLine) {
			return nil, n, fmt.Errorf("%w: line %d is too long", ErrBadLedgerEntry, line)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, n, fmt.Errorf("agmigrate: session ledger: %w", err)
		}
		if errors.Is(err, io.EOF) {
			// A torn last line is not counted as read, so that it is read
			// again once finished.
			sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
			return out, n, nil
		}
		n += int64(len(b))
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		var s CreatedSession
		if err := s.UnmarshalJSON(b); err != nil {
			return nil, n, fmt.Errorf("%w (line %d)", err, line)
		}
		if !seen[s.SessionID] {
			seen[s.SessionID] = true
			out = append(out, s)
		}
	}
}
