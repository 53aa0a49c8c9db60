package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The URL's password is never in what the command prints, whatever goes
// wrong, nor in its usage text when it comes from the environment.
func TestPasswordNeverEchoed(t *testing.T) {
	const pw = "Pw-s3cret/x@y"
	escaped := "Pw-s3cret%2Fx%40y"
	addr := startRedis(t, pw)
	out := func() string { return filepath.Join(t.TempDir(), "l") }
	for _, tc := range []struct {
		name string
		url  string
		args []string
		code int
		says string
	}{
		{"wrong password", "redis://:wrong-" + escaped + "@" + addr, nil, 1, "WRONGPASS"},
		{"unreachable", "redis://:" + escaped + "@127.0.0.1:1", nil, 1, "refused"},
		{"bad port", "redis://:" + escaped + "@127.0.0.1:port/0", nil, 2, "does not parse"},
		{"unescaped password", "redis://:" + pw + "@" + addr, nil, 2, "does not parse"},
		{"bad database", "redis://:" + escaped + "@" + addr + "/x", nil, 2, "database"},
		{"bad scheme", "http://:" + escaped + "@" + addr, nil, 2, "scheme"},
		{"bad option", "redis://:" + escaped + "@" + addr + "?pool=" + escaped, nil, 2, "option"},
		{"usage", "redis://:" + escaped + "@" + addr, []string{"-h"}, 0, "AGMIGRATE_REDIS_URL"},
		{"bad flag", "redis://:" + escaped + "@" + addr, []string{"-nope"}, 2, "-redis-url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args == nil {
				args = []string{"-o", out(), "-timeout", "10s"}
			}
			for _, viaFlag := range []bool{false, true} {
				env := map[string]string{"AGMIGRATE_REDIS_URL": tc.url}
				a := args
				if viaFlag {
					env = nil
					a = append([]string{"-redis-url", tc.url}, args...)
				}
				code, stdout, stderr := runCmd(t, env, a...)
				all := stdout + stderr
				if code != tc.code || !strings.Contains(all, tc.says) {
					t.Errorf("flag %v: exit %d (want %d), want %q in\n%s", viaFlag, code, tc.code, tc.says, all)
				}
				for _, secret := range []string{pw, escaped, "s3cret"} {
					if strings.Contains(all, secret) {
						t.Errorf("flag %v: the password is echoed:\n%s", viaFlag, all)
					}
				}
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	env := map[string]string{"AGMIGRATE_REDIS_URL": "redis://127.0.0.1:1"}
	o := filepath.Join(t.TempDir(), "l")
	for _, tc := range []struct {
		env  map[string]string
		args []string
		says string
	}{
		{nil, []string{"-o", o}, "-redis-url or $AGMIGRATE_REDIS_URL"},
		{env, nil, "-o FILE"},
		{env, []string{"-o", o, "extra"}, "unexpected arguments"},
		{env, []string{"-o", o, "-since", "yesterday"}, "neither RFC 3339"},
		{env, []string{"-o", o, "-trim-before", "2026-13-01"}, "neither RFC 3339"},
		{env, []string{"-o", o, "-since", "2026-01-01", "-trim-before", "2025-01-01"}, "cannot go with -since"},
		{env, []string{"-o", o, "-timeout", "0s"}, "-timeout"},
	} {
		code, stdout, stderr := runCmd(t, tc.env, tc.args...)
		if code != 2 || !strings.Contains(stdout+stderr, tc.says) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s%s", tc.args, code, tc.says, stdout, stderr)
		}
	}
	if _, err := os.Stat(o); !os.IsNotExist(err) {
		t.Error("a refused run wrote the file")
	}
}

// -trim-before removes from Redis only entries the file now holds; the
// file keeps them all. Refused in the future, before anything is written.
func TestTrimBefore(t *testing.T) {
	const pw = "pw"
	addr := startRedis(t, pw)
	st := ledgerStore(t, addr, pw, 0, "")
	t0 := time.Date(2025, 11, 28, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		if err := st.RecordSession(context.Background(), entry(i, t0.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	want := allEntries(t, st)
	env := map[string]string{"AGMIGRATE_REDIS_URL": "redis://:" + pw + "@" + addr}
	dir := t.TempDir()

	// Too recent: sessions being recorded now could go unseen.
	var code int
	var stdout, stderr string
	for _, at := range []time.Time{time.Now().Add(time.Hour), time.Now().Add(-50 * time.Minute)} {
		recent := filepath.Join(dir, "recent")
		code, stdout, stderr = runCmd(t, env, "-o", recent, "-trim-before", at.Format(time.RFC3339))
		if code != 2 || !strings.Contains(stderr, "at least 1h0m0s ago") {
			t.Errorf("%v: exit %d\n%s%s", at, code, stdout, stderr)
		}
		if _, err := os.Stat(recent); !os.IsNotExist(err) || len(allEntries(t, st)) != 5 {
			t.Error("a refused trim wrote the file or trimmed")
		}
	}

	// A dump that fails (the file exists) trims nothing.
	taken := filepath.Join(dir, "taken")
	write(t, taken, "")
	if code, _, _ = runCmd(t, env, "-o", taken, "-trim-before", t0.Add(3*time.Hour).Format(time.RFC3339)); code != 2 || len(allEntries(t, st)) != 5 {
		t.Errorf("exit %d; a failed dump trimmed the ledger", code)
	}

	path := filepath.Join(dir, "l")
	code, stdout, stderr = runCmd(t, env, "-o", path, "-trim-before", t0.Add(3*time.Hour).Format(time.RFC3339))
	if code != 0 || !strings.Contains(stdout, "wrote 5 sessions") || !strings.Contains(stdout, "removed 3 entries") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if got := readBack(t, path); len(got) != 5 {
		t.Errorf("the file holds %d entries, want 5", len(got))
	}
	if left := allEntries(t, st); len(left) != 2 || left[0] != want[3] {
		t.Errorf("left in Redis: %v", left)
	}
}

// Whatever a dependency's error quotes of the URL, the password is
// blotted out (the end-to-end cases above find none quoting it today).
func TestRedactor(t *testing.T) {
	for _, tc := range []struct{ url, msg string }{
		{"redis://:p%2Fw@h:1/0", "dial redis://:p%2Fw@h:1/0: refused"},
		{"redis://:p%2Fw@h:1/0", "AUTH p/w failed"},
		{"redis://:p%2Fw@h:1/0", "AUTH p%2Fw failed"},
		{"redis://user:p w@h:1", "bad p%20w"},
		{"redis://:p/w@h:1", "invalid port \":p/w\""},
		{"rediss://u:p:w@h:x", "u:p:w is wrong"},
	} {
		got := redactor(tc.url)(errors.New(tc.msg))
		for _, secret := range []string{"p/w", "p%2Fw", "p w", "p%20w", "p+w", "p:w"} {
			if strings.Contains(got, secret) {
				t.Errorf("%s: %q keeps %q", tc.url, got, secret)
			}
		}
	}
}
