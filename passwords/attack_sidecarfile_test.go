package passwords

import (
	"os"
	"path/filepath"
	"testing"
)

// A sidecar holds hashes that allow offline guessing. A symlink planted
// at its path (pointing at a file the attacker can read, or one the
// operator's account may write) is replaced, never written through, and
// what ends up at the path is a regular file of mode 0600.
func TestAttackSidecarPlantedSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "world-readable.txt")
	if err := os.WriteFile(target, []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "users.hashes.jsonl")
	if err := os.Symlink(target, path); err != nil {
		t.Skip("no symlinks here:", err)
	}
	entries := []Entry{{LoginIDKey: "email", LoginID: "a@example.com", Format: FormatPBKDF2Django, Hash: djangoHash("pw")}}
	if err := WriteSidecar(path, entries); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "untouched" {
		t.Errorf("the symlink's target was written: %q, %v", b, err)
	}
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm() != 0o600 {
		t.Errorf("the sidecar is %v, want a regular file of mode 0600", st.Mode())
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
