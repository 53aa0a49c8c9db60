package agmigrate_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// nop is the cheapest handler, so the benchmark sees the middleware.
var nop = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkAuthgearPath compares a request with an Authgear access token
// through the middleware with the verifier alone, in one run, on the
// first-seen path (each token verified for the first time) and on the
// cached path (the same token again):
//
//	go test . -run '^$' -bench AuthgearPath -benchmem
func BenchmarkAuthgearPath(b *testing.B) {
	w := newWorld(b, authgeartest.Options{})
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	var toks []string
	for i := 0; i < 64; i++ {
		s, err := w.fake.AdminClient().CreateSession(b.Context(), adminapi.UserNodeID(alice), "test-client", nil)
		if err != nil {
			b.Fatal(err)
		}
		toks = append(toks, s.AccessToken)
	}
	cfg := w.config()
	cfg.Observer = nil // the test's recorder would dominate
	h := w.middleware(cfg).Handler(nop)
	reqs := make([]*http.Request, len(toks))
	for i, tok := range toks {
		reqs[i] = httptest.NewRequest("GET", "/", nil)
		reqs[i].Header.Set("Authorization", "Bearer "+tok)
	}
	dw := &discardWriter{h: http.Header{}}
	ctx := b.Context()

	// The first-seen path: a verifier whose cache holds one token, cycling
	// through 64.
	tiny, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: w.fake.URL, Now: w.clock.Now, CacheSize: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer tiny.Close()
	tcfg := w.config()
	tcfg.Authgear, tcfg.Observer = tiny, nil
	th := w.middleware(tcfg).Handler(nop)
	b.Run("first-seen/verifier", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := tiny.Verify(ctx, toks[i%len(toks)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first-seen/middleware", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			th.ServeHTTP(dw, reqs[i%len(reqs)])
		}
	})
	b.Run("cached/verifier", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := w.ag.Verify(ctx, toks[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached/middleware", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			h.ServeHTTP(dw, reqs[0])
		}
	})
}

// BenchmarkSameTokenStorm gives the fake Authgear 20 ms of latency per
// call and sends 1,000 concurrent requests carrying one new legacy token;
// it reports the storm's time as a multiple of one exchange's (target: at
// most 3):
//
//	go test . -run '^$' -bench SameTokenStorm -benchtime 5x
func BenchmarkSameTokenStorm(b *testing.B) {
	w := newWorld(b, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	w.fake.SetFault("graphql", authgeartest.Fault{Latency: 20 * time.Millisecond})
	cfg := w.config()
	cfg.SessionTTL = time.Nanosecond // nothing kept: every round exchanges anew
	h := w.middleware(cfg).Handler(nop)
	var single, storm time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		serve(h, withLegacyCookie(w.legacyToken("alice@example.com")))
		single += time.Since(start)

		tok := w.legacyToken("alice@example.com")
		var wg sync.WaitGroup
		start = time.Now()
		for j := 0; j < 1000; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.ServeHTTP(&discardWriter{h: http.Header{}}, withLegacyCookie(tok))
			}()
		}
		wg.Wait()
		storm += time.Since(start)
	}
	b.ReportMetric(float64(storm)/float64(single), "storm/exchange")
	b.ReportMetric(0, "ns/op")
	b.Logf("1,000 concurrent requests took %.2fx one exchange (target <= 3)", float64(storm)/float64(single))
}

// BenchmarkMemoryStoreEntry measures the heap one stored exchange takes in
// the in-memory store (a real sealed exchange record and its key), to size
// the store: bytes per entry and entries per GiB.
//
//	go test . -run '^$' -bench MemoryStoreEntry -benchtime 3x
func BenchmarkMemoryStoreEntry(b *testing.B) {
	w := newWorld(b, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	st := &dumpStore{MemoryStore: agmigrate.NewMemoryStore(100)}
	cfg := w.config()
	cfg.Store = st
	serve(w.middleware(cfg).Handler(app), withLegacyCookie(w.legacyToken("alice@example.com")))
	var val []byte
	for i, k := range st.keys {
		if strings.HasPrefix(k, "agm:x:") {
			val = st.vals[i]
		}
	}
	if val == nil {
		b.Fatal("no exchange record stored")
	}
	const n = 50_000
	ctx := context.Background()
	var per float64
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := agmigrate.NewMemoryStore(n)
		for j := 0; j < n; j++ {
			_ = s.Put(ctx, "agm:x:"+strconv.Itoa(1e15+i*n+j)+"0123456789abcdef0123456789abcdef0123456789abcdef", val, time.Hour)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		per = float64(after.HeapAlloc-before.HeapAlloc) / n
		runtime.KeepAlive(s)
	}
	b.ReportMetric(per, "B/entry")
	b.ReportMetric(float64(1<<30)/per, "entries/GiB")
	b.Logf("sealed record %d bytes; %.0f bytes of heap per entry; %.0f entries per GiB", len(val), per, float64(1<<30)/per)
}

// remoteStore stands for a shared store in another process (redisstore):
// not a *MemoryStore, so the middleware puts its local memory in front.
type remoteStore struct{ *agmigrate.MemoryStore }

// BenchmarkRepeatHit presents an exchanged legacy token again: served by
// the in-memory store, and by the local memory in front of a shared store
// (no round trip within the freshness window). The ratio of the two is
// what a replica behind redisstore pays over a single process:
//
//	go test . -run '^$' -bench RepeatHit -benchmem
func BenchmarkRepeatHit(b *testing.B) {
	for _, tc := range []struct {
		name  string
		store agmigrate.Store
	}{
		{"memory-store", agmigrate.NewMemoryStore(1000)},
		{"local-memory", remoteStore{agmigrate.NewMemoryStore(1000)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			w := newWorld(b, authgeartest.Options{})
			w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
			cfg := w.headerConfig()
			cfg.Store, cfg.Observer = tc.store, nil
			h := w.middleware(cfg).Handler(nop)
			tok := w.legacyToken("alice@example.com")
			req := withLegacyHeader(tok)
			if r := serve(w.middleware(cfg).Handler(app), withLegacyHeader(tok)); r.source != "exchanged" {
				b.Fatal(r.source)
			}
			dw := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.ServeHTTP(dw, req)
			}
		})
	}
}
