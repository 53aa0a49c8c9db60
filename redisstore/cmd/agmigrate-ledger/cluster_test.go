package main

import (
	"context"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/redis/go-redis/v9"
)

// startCluster builds a Redis Cluster of two masters, half the slots
// each, and returns their addresses.
func startCluster(t *testing.T, password string) []string {
	t.Helper()
	dir := t.TempDir()
	var addrs []string
	var bus []int
	for i := range 2 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		bus = append(bus, port)
		addrs = append(addrs, startRedis(t, password, "--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(port),
			"--cluster-config-file", filepath.Join(dir, "nodes-"+strconv.Itoa(i)+".conf"), "--cluster-node-timeout", "2000"))
	}
	ctx := context.Background()
	for i, a := range addrs {
		rdb := redis.NewClient(&redis.Options{Addr: a, Password: password})
		err := rdb.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", i*8192, i*8192+8191).Err()
		if err == nil && i > 0 {
			host, _, _ := net.SplitHostPort(addrs[0])
			err = rdb.Do(ctx, "CLUSTER", "MEET", host, strings.TrimPrefix(addrs[0], host+":"), bus[0]).Err()
		}
		rdb.Close()
		if err != nil {
			t.Fatalf("building the cluster: %v", err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, a := range addrs {
		rdb := redis.NewClient(&redis.Options{Addr: a, Password: password})
		for {
			info, _ := rdb.ClusterInfo(ctx).Result()
			if strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:2") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ready:\n%s", a, info)
			}
			time.Sleep(50 * time.Millisecond) // polling processes we started
		}
		rdb.Close()
	}
	return addrs
}

// With -cluster, either node's URL leads to the ledger's slot; without it,
// the node that does not hold the slot answers MOVED, and nothing is
// written.
func TestDumpFromCluster(t *testing.T) {
	const pw = "cluster-pw"
	addrs := startCluster(t, pw)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Password: pw})
	t.Cleanup(func() { cc.Close() })
	st, err := redisstore.New(cc, redisstore.Options{Prefix: "app:", OpTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	for i := range 4 {
		if err := st.RecordSession(context.Background(), entry(i, t0.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	moved := 0
	for _, a := range addrs {
		url := "redis://:" + pw + "@" + a
		path := filepath.Join(t.TempDir(), "l")
		code, stdout, stderr := runCmd(t, map[string]string{"AGMIGRATE_REDIS_URL": url}, "-cluster", "-prefix", "app:", "-o", path)
		if code != 0 || !strings.Contains(stdout, "wrote 4 sessions") || len(readBack(t, path)) != 4 {
			t.Errorf("%s with -cluster: exit %d\n%s%s", a, code, stdout, stderr)
		}
		path = filepath.Join(t.TempDir(), "l")
		code, stdout, stderr = runCmd(t, map[string]string{"AGMIGRATE_REDIS_URL": url}, "-prefix", "app:", "-o", path)
		if strings.Contains(stderr, "MOVED") {
			moved++
			if code != 1 || !strings.Contains(stderr, "-cluster") {
				t.Errorf("%s without -cluster: exit %d, want 1 and a hint\n%s%s", a, code, stdout, stderr)
			}
			if n := len(dirEntries(t, filepath.Dir(path))); n != 0 {
				t.Errorf("a failed dump left %d files", n)
			}
		}
		if strings.Contains(stdout+stderr, pw) {
			t.Errorf("the password was echoed:\n%s%s", stdout, stderr)
		}
	}
	if moved != 1 {
		t.Errorf("%d nodes answered MOVED, want 1", moved)
	}
}
