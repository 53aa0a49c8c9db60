package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/redis/go-redis/v9"
)

// startRedis runs a real redis-server, as redisstore's own tests do, on a
// free loopback port with a password, and returns its address. It skips
// where redis-server is not installed, unless CI is set.
func startRedis(t *testing.T, password string, extra ...string) string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed; skipping the Redis tests")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning",
		"--requirepass", password)
	cmd.Args = append(cmd.Args, extra...)
	var serverOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &serverOut, &serverOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	rdb := redis.NewClient(&redis.Options{Addr: addr, Password: password})
	defer rdb.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if rdb.Ping(context.Background()).Err() == nil {
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("redis-server exited at start:\n%s", serverOut.String())
		case <-time.After(20 * time.Millisecond): // polling a process we started
		}
	}
	t.Fatal("redis-server did not answer")
	return ""
}

// ledgerStore is a redisstore Store on db of the server at addr, as the
// middleware's replicas would have it.
func ledgerStore(t *testing.T, addr, password string, db int, prefix string) *redisstore.Store {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Password: password, DB: db})
	t.Cleanup(func() { rdb.Close() })
	st, err := redisstore.New(rdb, redisstore.Options{Prefix: prefix, OpTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// allEntries reads a whole ledger, page by page.
func allEntries(t *testing.T, l agmigrate.SessionLedger) []agmigrate.CreatedSession {
	t.Helper()
	var out []agmigrate.CreatedSession
	var after agmigrate.CreatedSession
	for {
		p, err := l.CreatedSessions(context.Background(), after, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			return out
		}
		out = append(out, p...)
		after = p[len(p)-1]
	}
}

// runCmd runs the command with env as its environment.
func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, func(k string) string { return env[k] })
	return code, stdout.String(), stderr.String()
}
