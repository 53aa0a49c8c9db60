package main

import "testing"

// The demo is part of the test suite: it must keep working on a fresh
// clone with nothing configured.
func TestDemoRuns(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}
