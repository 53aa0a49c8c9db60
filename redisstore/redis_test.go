package redisstore_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is a real redis-server process on a free loopback port: a
// single node, or one master of a test cluster.
type redisServer struct {
	t       testing.TB
	port    int
	busPort int    // cluster bus port; 0 for a single node
	conf    string // cluster config file, kept across restarts
	cmd     *exec.Cmd
	exited  chan struct{}
}

// needRedis skips the test where redis-server is not installed (and CI is
// not set: CI must run these tests).
func needRedis(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed; .ci/run installs it from Debian's packages")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server); skipping the Redis tests")
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis starts a single-node redis-server.
func startRedis(t testing.TB) *redisServer {
	t.Helper()
	needRedis(t)
	s := &redisServer{t: t, port: freePort(t)}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

func (s *redisServer) start() {
	s.t.Helper()
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"}
	if s.busPort != 0 {
		// Without full coverage required, the live masters go on serving
		// their own slots while one master is down.
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", s.conf,
			"--cluster-port", strconv.Itoa(s.busPort), "--cluster-node-timeout", "2000",
			"--cluster-require-full-coverage", "no")
	}
	s.cmd = exec.Command("redis-server", args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	exited := make(chan struct{})
	s.exited = exited
	go func(cmd *exec.Cmd) { _ = cmd.Wait(); close(exited) }(s.cmd)
	rdb := redis.NewClient(&redis.Options{Addr: s.addr()})
	defer rdb.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if rdb.Ping(context.Background()).Err() == nil {
			return
		}
		select {
		case <-exited:
			s.t.Fatalf("redis-server on %s exited at start", s.addr())
		case <-time.After(20 * time.Millisecond): // polling a process we started
		}
	}
	s.t.Fatalf("redis-server on %s did not answer", s.addr())
}

func (s *redisServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
	}
}

// The clients' timeouts are generous, like the stores' (see opTimeout): a
// stopped node is refused at once anyway.
const (
	dialTimeout = 5 * time.Second
	ioTimeout   = 5 * time.Second
)

func (s *redisServer) client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.addr(), DialTimeout: dialTimeout,
		ReadTimeout: ioTimeout, WriteTimeout: ioTimeout, MaxRetries: -1})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// redisCluster is a 3-master Redis Cluster on loopback, built by the test
// itself with CLUSTER ADDSLOTSRANGE and CLUSTER MEET (no redis-cli needed).
type redisCluster struct {
	t     testing.TB
	nodes []*redisServer
}

func startCluster(t testing.TB) *redisCluster {
	t.Helper()
	needRedis(t)
	dir := t.TempDir()
	c := &redisCluster{t: t}
	ctx := context.Background()
	ranges := [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	for i := range ranges {
		n := &redisServer{t: t, port: freePort(t), busPort: freePort(t),
			conf: filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", i))}
		n.start()
		t.Cleanup(n.stop)
		c.nodes = append(c.nodes, n)
	}
	for i, n := range c.nodes {
		rdb := redis.NewClient(&redis.Options{Addr: n.addr()})
		err := rdb.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", ranges[i][0], ranges[i][1]).Err()
		if err == nil {
			err = rdb.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err()
		}
		if err == nil && i > 0 {
			first := redis.NewClient(&redis.Options{Addr: c.nodes[0].addr()})
			err = first.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", n.port, n.busPort).Err()
			first.Close()
		}
		rdb.Close()
		if err != nil {
			t.Fatalf("building the cluster: %v", err)
		}
	}
	c.waitOK(c.nodes...)
	return c
}

// waitOK waits until every given node sees the whole cluster up, every
// slot assigned. Redis keeps a restarted master out for a while (its
// "writable delay"), hence the generous deadline.
func (c *redisCluster) waitOK(nodes ...*redisServer) {
	c.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for _, n := range nodes {
		rdb := redis.NewClient(&redis.Options{Addr: n.addr()})
		for {
			info, err := rdb.ClusterInfo(ctx).Result()
			if err == nil && clusterReady(info, len(c.nodes)) {
				break
			}
			if time.Now().After(deadline) {
				rdb.Close()
				c.t.Fatalf("cluster node %s not ready: %v %s", n.addr(), err, info)
			}
			time.Sleep(50 * time.Millisecond) // polling a process we started
		}
		rdb.Close()
	}
}

func clusterReady(info string, nodes int) bool {
	fields := map[string]string{}
	for _, line := range splitLines(info) {
		for i := 0; i < len(line); i++ {
			if line[i] == ':' {
				fields[line[:i]] = line[i+1:]
				break
			}
		}
	}
	return fields["cluster_state"] == "ok" && fields["cluster_slots_assigned"] == "16384" &&
		fields["cluster_slots_ok"] == "16384" && fields["cluster_known_nodes"] == strconv.Itoa(nodes)
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			line := s[start:i]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			out = append(out, line)
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func (c *redisCluster) addrs() []string {
	var out []string
	for _, n := range c.nodes {
		out = append(out, n.addr())
	}
	return out
}

func (c *redisCluster) client() *redis.ClusterClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.addrs(), DialTimeout: dialTimeout,
		ReadTimeout: ioTimeout, WriteTimeout: ioTimeout, MaxRetries: -1, MaxRedirects: 3})
	c.t.Cleanup(func() { cc.Close() })
	return cc
}

// restart starts a stopped node again and waits until the cluster is whole.
func (c *redisCluster) restart(n *redisServer) {
	c.t.Helper()
	n.start()
	c.waitOK(c.nodes...)
}

// nodeFor returns the master that holds key, from the cluster's own answer.
func (c *redisCluster) nodeFor(key string) *redisServer {
	c.t.Helper()
	var slot int64
	var err error
	for _, n := range c.nodes { // any live node computes the slot
		rdb := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1})
		slot, err = rdb.ClusterKeySlot(context.Background(), key).Result()
		rdb.Close()
		if err == nil {
			break
		}
	}
	if err != nil {
		c.t.Fatal(err)
	}
	switch {
	case slot <= 5460:
		return c.nodes[0]
	case slot <= 10922:
		return c.nodes[1]
	default:
		return c.nodes[2]
	}
}

func itoa(i int) string { return fmt.Sprint(i) }

// quiet drops go-redis's own log lines (dial failures while a test has
// stopped a node on purpose).
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	os.Exit(m.Run())
}
