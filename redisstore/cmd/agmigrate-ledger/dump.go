package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/agmigrate/agmigrate"
)

// errExists: the output file is there and -force was not given.
var errExists = errors.New("the file exists (give -force to replace it)")

// pageSize is how many entries one CreatedSessions call asks for.
const pageSize = 1000

// dump writes the entries of l created at or after since (all when since
// is zero) to path as ledger lines, and returns how many it wrote.
//
// The lines go to a new file beside path, created exclusively with mode
// 0600 (so nothing planted there, a symlink included, is written through),
// synced, then moved into place: linked, which fails if path exists, or
// renamed over it with force. A rename replaces a symlink at path itself,
// never its target. Readers see the old file or the whole new one.
func dump(ctx context.Context, l agmigrate.SessionLedger, since time.Time, path string, force bool) (int, error) {
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return 0, fmt.Errorf("%s: %w", path, errExists)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("writing the ledger file: %w", err)
	}
	placed := false
	defer func() {
		if !placed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return 0, fmt.Errorf("writing the ledger file: %w", err)
	}
	w := bufio.NewWriter(tmp)
	n, err := copyLedger(ctx, l, since, w)
	if err != nil {
		return n, err
	}
	if err := w.Flush(); err != nil {
		return n, fmt.Errorf("writing the ledger file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return n, fmt.Errorf("writing the ledger file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return n, fmt.Errorf("writing the ledger file: %w", err)
	}
	if err := place(tmp.Name(), path, force); err != nil {
		return n, err
	}
	placed = true
	syncDir(filepath.Dir(path))
	return n, nil
}

// copyLedger writes l's entries from since on, one JSON line each, in
// ledger order.
func copyLedger(ctx context.Context, l agmigrate.SessionLedger, since time.Time, w *bufio.Writer) (int, error) {
	var after agmigrate.CreatedSession
	if !since.IsZero() {
		// Starts at since's millisecond (see SessionLedger).
		after.CreatedAt = since
	}
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		page, err := l.CreatedSessions(ctx, after, pageSize)
		if err != nil {
			return n, fmt.Errorf("reading the ledger: %w", err)
		}
		for _, c := range page {
			after = c
			if c.CreatedAt.Before(since) {
				continue // earlier within since's millisecond
			}
			b, err := c.MarshalJSON()
			if err != nil {
				return n, fmt.Errorf("reading the ledger: %w", err)
			}
			if _, err := w.Write(append(b, '\n')); err != nil {
				return n, fmt.Errorf("writing the ledger file: %w", err)
			}
			n++
		}
		if len(page) < pageSize {
			return n, nil
		}
	}
}

// place moves the finished temporary file to path.
func place(tmp, path string, force bool) error {
	if force {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("writing the ledger file: %w", err)
		}
		return nil
	}
	err := os.Link(tmp, path)
	switch {
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%s: %w", path, errExists)
	case err != nil:
		// A file system without hard links: checked, then renamed (a
		// file created in between would be replaced).
		if _, lerr := os.Lstat(path); lerr == nil {
			return fmt.Errorf("%s: %w", path, errExists)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("writing the ledger file: %w", err)
		}
		return nil
	}
	os.Remove(tmp)
	return nil
}

// syncDir makes the new name durable where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
