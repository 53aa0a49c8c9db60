package webhook_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/webhook"
)

func TestMemorySeen(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	s := webhook.NewMemorySeen(c.Now)
	ctx := context.Background()
	claim := func(id string, exp time.Time) bool {
		t.Helper()
		ok, err := s.Claim(ctx, id, exp)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	exp := c.Now().Add(time.Minute)
	if !claim("a", exp) || claim("a", exp) {
		t.Fatal("first claim must win, the second lose")
	}
	if err := s.Release(ctx, "a"); err != nil || !claim("a", exp) {
		t.Fatal("a released ID can be claimed again")
	}
	// Once expired, the ID is free again (the timestamp check refuses
	// such a replay anyway).
	c.Set(exp)
	if !claim("a", exp.Add(time.Minute)) {
		t.Error("expired ID not reclaimable")
	}
	// Expired entries are swept as the map grows: memory stays bounded
	// by one window of deliveries.
	for i := range 5000 {
		c.Set(time.Unix(int64(2000+i), 0))
		claim(fmt.Sprint("id-", i), c.Now().Add(10*time.Second))
	}
	if n := s.Len(); n > 2048 {
		t.Errorf("%d IDs remembered; expired ones are not swept", n)
	}
	var _ webhook.SeenStore = s
}
