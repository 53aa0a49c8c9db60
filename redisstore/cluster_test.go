package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/redisstore"
)

// The value, lock and channel of one exchange share a hash tag, so on a
// cluster they live on one node, and a Put wakes a waiter on every node.
func TestClusterKeysShareASlot(t *testing.T) {
	c := startCluster(t)
	cc := c.client()
	st := newStore(t, cc, redisstore.Options{})
	ctx := context.Background()
	seen := map[*redisServer]bool{}
	for i := 0; len(seen) < 3 || i < 10; i++ {
		key := "exchange-" + itoa(i)
		v, l, ch := redisstore.KeyNames(st, key)
		sv, sl, sc := cc.ClusterKeySlot(ctx, v).Val(), cc.ClusterKeySlot(ctx, l).Val(), cc.ClusterKeySlot(ctx, ch).Val()
		if sv != sl || sv != sc {
			t.Fatalf("value, lock and channel on slots %d, %d, %d", sv, sl, sc)
		}
		seen[c.nodeFor(v)] = true
		got := make(chan []byte, 1)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		subscribed := make(chan struct{})
		go func() {
			close(subscribed)
			b, err := st.WaitFor(wctx, key)
			if err != nil {
				t.Errorf("WaitFor: %v", err)
			}
			got <- b
		}()
		<-subscribed
		want := []byte("value " + itoa(i))
		if err := st.Put(ctx, key, want, time.Minute); err != nil {
			t.Fatal(err)
		}
		if b := <-got; !bytes.Equal(b, want) {
			t.Fatalf("WaitFor got %q, want %q", b, want)
		}
		cancel()
	}
}

// On a cluster, a dead master pauses its own slots only: keys on the other
// masters keep going to Redis, and the dead one's come back with it.
func TestClusterDeadNodePausesOnlyItsSlots(t *testing.T) {
	c := startCluster(t)
	cc := c.client()
	clk := newClock()
	st := newStore(t, cc, redisstore.Options{Pause: time.Second, Now: clk.Now})
	ctx := context.Background()
	dead := c.nodes[1]
	var onDead, onLive []string
	for i := 0; len(onDead) < 3 || len(onLive) < 3; i++ {
		key := "exchange-" + itoa(i)
		v, _, _ := redisstore.KeyNames(st, key)
		if c.nodeFor(v) == dead {
			onDead = append(onDead, key)
		} else {
			onLive = append(onLive, key)
		}
		if err := st.Put(ctx, key, []byte("v"), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	dead.stop()
	if _, err := st.Get(ctx, onDead[0]); err == nil || errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("a key on the stopped master: %v", err)
	}
	for _, k := range onDead[1:] {
		if _, err := st.Get(ctx, k); !errors.Is(err, redisstore.ErrUnavailable) {
			t.Errorf("another key on the stopped master should be paused with it: %v", err)
		}
		if _, _, err := st.TryLock(ctx, k, time.Second); !errors.Is(err, redisstore.ErrUnavailable) {
			t.Errorf("TryLock on the stopped master should be paused: %v", err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if _, err := st.WaitFor(wctx, k); !errors.Is(err, redisstore.ErrUnavailable) {
			t.Errorf("WaitFor on the stopped master should be paused: %v", err)
		}
		cancel()
	}
	for _, k := range onLive {
		if v, err := st.Get(ctx, k); err != nil || string(v) != "v" {
			t.Errorf("a key on a live master: %q, %v", v, err)
		}
		unlock, ok, err := st.TryLock(ctx, k, time.Minute)
		if err != nil || !ok {
			t.Errorf("TryLock on a live master: %v, %v", ok, err)
		} else {
			unlock(ctx)
		}
	}
	c.restart(dead)
	clk.Advance(time.Second)
	for _, k := range onDead {
		// The restarted master lost its data (no persistence in the test).
		if _, err := st.Get(ctx, k); !errors.Is(err, agmigrate.ErrNotFound) {
			t.Errorf("a key on the restarted master: %v", err)
		}
	}
}
