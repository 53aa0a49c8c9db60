package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The demo is part of the test suite: on a fresh clone with nothing
// configured it must walk through every step and succeed.
func TestDemoRuns(t *testing.T) {
	t.Setenv("AUTHGEAR_ENDPOINT", "")
	var out bytes.Buffer
	if err := run(context.Background(), &out, false); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "FAIL") || !strings.Contains(out.String(), "Every step behaved as expected") {
		t.Fatal(out.String())
	}
}
