package redisstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/redisstore"
)

// BenchmarkStore compares the store operations an exchange makes on
// redisstore (a real redis-server on loopback) with the in-memory store, in
// one run:
//
//	go test ./redisstore -run '^$' -bench Store -benchmem
func BenchmarkStore(b *testing.B) {
	rs := startRedis(b)
	rstore, err := redisstore.New(rs.client(), redisstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	stores := []struct {
		name string
		s    agmigrate.Store
	}{{"memory", agmigrate.NewMemoryStore(0)}, {"redis", rstore}}
	ctx := context.Background()
	value := make([]byte, 1200) // about the size of a sealed exchange
	key := agmigrate.ExchangeKey(nil, "test-client", "a legacy token")
	for _, st := range stores {
		if err := st.s.Put(ctx, key, value, time.Hour); err != nil {
			b.Fatal(err)
		}
		b.Run(st.name+"/hit", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := st.s.Get(ctx, key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(st.name+"/miss", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := st.s.Get(ctx, "absent"); !errors.Is(err, agmigrate.ErrNotFound) {
					b.Fatal(err)
				}
			}
		})
		b.Run(st.name+"/put", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := st.s.Put(ctx, key, value, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
