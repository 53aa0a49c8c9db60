// Package reference finds the material recorded from a real Authgear
// server (the Admin API schema and request/response pairs) that tests check
// the library and the fake against. It lives outside the repository, in
// ../shared/reference beside the checkout, or where AGMIGRATE_REFERENCE
// points; tests skip with a clear message where it is absent, except in CI.
package reference

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the reference directory, or "" when there is none.
func Dir() string {
	if d := os.Getenv("AGMIGRATE_REFERENCE"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	// internal/reference/reference.go → repository root → ../shared/reference
	root := filepath.Join(filepath.Dir(file), "..", "..")
	d := filepath.Join(root, "..", "shared", "reference")
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}

// Require returns the path of name inside the reference directory. Where it
// is missing the test is skipped with a message saying so, unless CI is set:
// CI must always run these checks.
func Require(t testing.TB, name string) string {
	t.Helper()
	d := Dir()
	p := filepath.Join(d, name)
	if d != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "reference material " + name + " not found (looked in ../shared/reference beside the checkout and $AGMIGRATE_REFERENCE); this check needs the schema and responses recorded from a real Authgear server"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
