package redisstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
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

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkRepeatHit measures a request with a legacy token exchanged
// before, through the middleware, in one run: with the in-memory store,
// with redisstore answered from the replica's local memory, and with
// redisstore without local memory (a Redis round trip per request):
//
//	go test ./redisstore -run '^$' -bench RepeatHit -benchmem
func BenchmarkRepeatHit(b *testing.B) {
	rs := startRedis(b)
	fake := authgeartest.New(b, authgeartest.Options{EnableCreateSession: true})
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	tok := legacyToken("alice@example.com", 1)
	cases := []struct {
		name string
		cfgf func(*agmigrate.Config)
	}{
		{"memory-store", func(c *agmigrate.Config) { c.Store = agmigrate.NewMemoryStore(0) }},
		{"redisstore-local-memory", nil},
		{"redisstore-round-trip", func(c *agmigrate.Config) { c.LocalMemory = -1 }},
	}
	for _, tc := range cases {
		r := newReplica(b, fake, rs.client(), tc.name, nil, nil, tc.cfgf)
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: "legacy_session", Value: tok})
		if a := hit(r, tok); !strings.HasPrefix(a.body, "exchanged ") && !strings.HasPrefix(a.body, "reused ") {
			b.Fatalf("%s: first hit %q", tc.name, a.body)
		}
		dw := &discardWriter{h: http.Header{}}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				clear(dw.h)
				r.h.ServeHTTP(dw, req)
			}
		})
	}
	// One session for the in-memory replica, one shared by the two on Redis.
	if n := fake.SessionCount(""); n != 2 {
		b.Errorf("%d sessions, want 2", n)
	}
}
