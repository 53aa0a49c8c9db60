package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
)

func entry(i int, at time.Time) agmigrate.CreatedSession {
	return agmigrate.CreatedSession{SessionID: fmt.Sprintf("%08x-0000-4000-8000-000000000001", i),
		UserID: "00000000-0000-4000-8000-00000000000a", ClientID: "web", CreatedAt: at}
}

// memLedger is a ledger in memory holding n entries, the first three at
// t0, t0+1s, t0+2s and the rest all in t0+3s's millisecond.
func memLedger(t *testing.T, n int, t0 time.Time) *agmigrate.MemoryStore {
	t.Helper()
	m := agmigrate.NewMemoryStore(10)
	for i := range n {
		if err := m.RecordSession(context.Background(), entry(i, t0.Add(time.Duration(min(i, 3))*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func readBack(t *testing.T, path string) []agmigrate.CreatedSession {
	t.Helper()
	fl, err := agmigrate.ReadFileLedger(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fl.Close()
	return allEntries(t, fl)
}

// The file never goes through something planted at its name, and an
// existing file stays unless -force; nothing is left behind.
func TestDumpFileSafety(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	l := memLedger(t, 3, t0)
	want := allEntries(t, l)
	for _, tc := range []struct {
		name    string
		plant   func(t *testing.T, path, victim string)
		force   bool
		refused bool
	}{
		{name: "new file"},
		{name: "existing file kept", plant: func(t *testing.T, path, _ string) { write(t, path, "mine\n") }, refused: true},
		{name: "existing file replaced with -force", plant: func(t *testing.T, path, _ string) { write(t, path, "mine\n") }, force: true},
		{name: "symlink refused", plant: symlink, refused: true},
		{name: "symlink replaced, not followed, with -force", plant: symlink, force: true},
		{name: "dangling symlink refused", plant: func(t *testing.T, path, victim string) {
			os.Remove(victim)
			symlink(t, path, victim)
		}, refused: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path, victim := filepath.Join(dir, "ledger.jsonl"), filepath.Join(dir, "victim")
			write(t, victim, "victim\n")
			if tc.plant != nil {
				tc.plant(t, path, victim)
			}
			before, _ := os.ReadFile(path)
			n, err := dump(context.Background(), l, time.Time{}, path, tc.force)
			if b, _ := os.ReadFile(victim); string(b) != "victim\n" && tc.name != "dangling symlink refused" {
				t.Errorf("the symlink's target was written: %q", b)
			}
			if _, err := os.Stat(victim); tc.name == "dangling symlink refused" && err == nil {
				t.Error("a dangling symlink's target was created")
			}
			if tc.refused {
				if !errors.Is(err, errExists) || n != 0 {
					t.Fatalf("dump: %d, %v; want errExists", n, err)
				}
				if after, _ := os.ReadFile(path); string(after) != string(before) {
					t.Errorf("the file changed: %q", after)
				}
			} else {
				if err != nil || n != 3 {
					t.Fatalf("dump: %d, %v", n, err)
				}
				fi, err := os.Lstat(path)
				if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
					t.Fatalf("%s: %v, %v; want a regular file, mode 0600", path, fi.Mode(), err)
				}
				if got := readBack(t, path); !reflect.DeepEqual(got, want) {
					t.Errorf("read back %v, want %v", got, want)
				}
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if e.Name() != "ledger.jsonl" && e.Name() != "victim" {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, path, victim string) {
	t.Helper()
	if err := os.Symlink(victim, path); err != nil {
		t.Skip("no symlinks here:", err)
	}
}

// The agmigrate command takes the file as it is (it refuses a ledger file
// other users may read).
func TestDumpFileAccepted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l")
	if _, err := dump(context.Background(), memLedger(t, 1, time.Now()), time.Time{}, path, false); err != nil {
		t.Fatal(err)
	}
	if _, err := agmigrate.ReadFileLedger(path); err != nil {
		t.Fatalf("the agmigrate command would refuse the file: %v", err)
	}
}

// -since keeps sessions created at or after it, within its own
// millisecond too, across many pages of one millisecond.
func TestDumpSince(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	l := memLedger(t, 2*pageSize+5, t0)
	all := allEntries(t, l)
	for _, tc := range []struct {
		since time.Time
		want  []agmigrate.CreatedSession
	}{
		{time.Time{}, all},
		{t0, all},
		{t0.Add(time.Nanosecond), all[1:]},
		{t0.Add(time.Second), all[1:]},
		{t0.Add(2*time.Second + time.Millisecond), all[3:]},
		{t0.Add(3*time.Second + time.Microsecond), nil},
	} {
		path := filepath.Join(t.TempDir(), "l")
		n, err := dump(context.Background(), l, tc.since, path, false)
		got := readBack(t, path)
		if err != nil || n != len(tc.want) || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("since %v: %d, %v; %d entries read back, want %d", tc.since, n, err, len(got), len(tc.want))
		}
	}
}

// failingLedger fails after its first page.
type failingLedger struct{ agmigrate.SessionLedger }

var errLost = errors.New("connection lost")

func (f failingLedger) CreatedSessions(ctx context.Context, after agmigrate.CreatedSession, limit int) ([]agmigrate.CreatedSession, error) {
	if !after.CreatedAt.IsZero() {
		return nil, errLost
	}
	return f.SessionLedger.CreatedSessions(ctx, after, limit)
}

// A read that fails half way leaves no file and no temporary file.
func TestDumpFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "l")
	_, err := dump(context.Background(), failingLedger{memLedger(t, pageSize+1, time.Now())}, time.Time{}, path, false)
	if !errors.Is(err, errLost) {
		t.Fatalf("dump: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

func dirEntries(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ents
}
