package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
)

// startRedis runs a real redis-server with a password on a free loopback
// port (skipped where redis-server is not installed, unless CI is set).
func startRedis(t *testing.T, password string) string {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--requirepass", password, "--loglevel", "warning")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		select {
		case <-exited:
			t.Fatal("redis-server exited at start")
		case <-time.After(20 * time.Millisecond): // polling a process we started
		}
	}
	t.Fatal("redis-server did not answer")
	return ""
}

// The middleware's sessions in Redis, in redisstore's form (written here
// through the command's own client: the root module has no Redis driver),
// read by `sessions revoke --migrated --redis-url`.
func TestSessionsRevokeFromRedis(t *testing.T) {
	addr := startRedis(t, "s3cret-pw")
	redisURL := "redis://:s3cret-pw@" + addr + "/2"
	w, err := openRedisLedger(context.Background(), redisURL, "app:")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var mu sync.Mutex
	c := newCutover(t, func(ctx context.Context, s agmigrate.CreatedSession) {
		b, _ := s.MarshalJSON()
		mu.Lock()
		defer mu.Unlock()
		if _, err := w.do(ctx, "ZADD", "app:sessions:{ledger}", "NX", strconv.FormatInt(s.CreatedAt.UnixMilli(), 10), string(b)); err != nil {
			t.Error(err)
		}
	})
	c.env["AGMIGRATE_REDIS_URL"] = redisURL
	dir := t.TempDir()
	code, out := runCmd(t, c.env, "sessions", "revoke", "--migrated", "--redis-prefix", "app:",
		"--state", filepath.Join(dir, "s"), "--report", filepath.Join(dir, "r"), "--rate", "1000")
	if code != 0 || !strings.Contains(out, "(3 in the ledger, 0 by the User-Agent marker): revoked 3") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	c.check(t, 0)
	// A wrong password: refused, and not echoed.
	code, out = runCmd(t, c.env, "sessions", "list", "--redis-url", "redis://:wrong-pw@"+addr)
	if code != 2 || strings.Contains(out, "wrong-pw") || !strings.Contains(out, "refused the credentials") {
		t.Errorf("wrong password: exit %d\n%s", code, out)
	}
	// The default prefix's key holds nothing here.
	if code, out = runCmd(t, c.env, "sessions", "list"); code != 0 || !strings.Contains(out, "0 created by agmigrate") {
		t.Errorf("default prefix: exit %d\n%s", code, out)
	}
}

// Many sessions in one millisecond span several ZRANGE batches.
func TestRedisLedgerBatches(t *testing.T) {
	addr := startRedis(t, "pw")
	ctx := context.Background()
	l, err := openRedisLedger(ctx, "redis://:pw@"+addr, "agmigrate:")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const n = 1100
	for i := range n {
		s := agmigrate.CreatedSession{SessionID: sessionUUID(i), UserID: sessionUUID(0), ClientID: "web", CreatedAt: time.UnixMilli(5000)}
		b, _ := s.MarshalJSON()
		if _, err := l.do(ctx, "ZADD", "agmigrate:sessions:{ledger}", "5000", string(b)); err != nil {
			t.Fatal(err)
		}
	}
	var after agmigrate.CreatedSession
	got := 0
	for {
		page, err := l.CreatedSessions(ctx, after, 333)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, s := range page {
			if !after.Before(s) {
				t.Fatalf("%+v is not after %+v", s, after)
			}
			after = s
		}
		got += len(page)
	}
	if got != n {
		t.Errorf("read %d entries, want %d", got, n)
	}
}

func sessionUUID(i int) string {
	return strings.Replace("00000000-0000-4000-8000-000000000000", "00000000", padHex(i), 1)
}

func padHex(i int) string {
	s := strconv.FormatInt(int64(i), 16)
	return strings.Repeat("0", 8-len(s)) + s
}

// Redis's replies are read by a parser of its own: never a panic, never a
// huge allocation from a length Redis did not send.
func FuzzReadRESP(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "-ERR x\r\n", ":12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*2\r\n$1\r\na\r\n$1\r\n1\r\n",
		"*-1\r\n", "*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", "$999999999\r\n", "*99999999\r\n", "$2\r\nabc\r\n", "\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, err := readRESP(bufio.NewReader(strings.NewReader(in)), 0)
		if err != nil {
			return
		}
		if a, ok := v.([]any); ok && len(a) > maxRedisArray {
			t.Fatalf("array of %d", len(a))
		}
		if a, ok := v.([]any); ok && len(a)%2 == 0 {
			for i := 0; i < len(a); i += 2 {
				_, _ = ledgerEntry(a[i], a[i+1])
			}
		}
	})
}
