package agmigrate_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// dumpStore records every value put, as a dump of a shared store would
// show them.
type dumpStore struct {
	*agmigrate.MemoryStore
	mu   sync.Mutex
	keys []string
	vals [][]byte
}

func (d *dumpStore) Put(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	d.mu.Lock()
	d.keys, d.vals = append(d.keys, k), append(d.vals, append([]byte(nil), v...))
	d.mu.Unlock()
	return d.MemoryStore.Put(ctx, k, v, ttl)
}

func TestStoreHoldsNoUsableToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	st := &dumpStore{MemoryStore: agmigrate.NewMemoryStore(100)}
	cfg := w.config()
	cfg.Store = st
	h := w.middleware(cfg).Handler(app)
	tok := w.legacyToken("alice@example.com")
	r := serve(h, withLegacyCookie(tok))
	access, refresh := r.cookies["ag_access"].Value, r.cookies["ag_refresh"].Value
	// Refresh too, so refresh results are in the dump.
	w.clock.Advance(31 * time.Minute)
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "ag_refresh", Value: refresh})
	if s := serve(h, req); s.source != "authgear" {
		t.Fatalf("refresh: %s", s.source)
	}
	if len(st.vals) < 2 {
		t.Fatalf("%d values stored", len(st.vals))
	}
	secrets := []string{access, refresh, tok, access[:40], refresh[:20], strings.Split(tok, ".")[2]}
	for i, v := range st.vals {
		dump := st.keys[i] + string(v)
		for _, s := range secrets {
			if strings.Contains(dump, s) {
				t.Fatalf("store entry %d holds a token in clear", i)
			}
		}
		if strings.Contains(dump, "eyJ") {
			t.Fatalf("store entry %d holds something JWT-shaped", i)
		}
	}
}

func TestMemoryStoreBoundsAndTTL(t *testing.T) {
	t.Parallel()
	s := agmigrate.NewMemoryStore(10)
	c := &clock{now: time.Now()}
	agmigrate.SetMemoryStoreClock(s, c.Now)
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		_ = s.Put(ctx, "k"+itoa(i), []byte("v"), time.Hour)
	}
	if s.Len() != 10 {
		t.Errorf("%d entries in a store of 10", s.Len())
	}
	_ = s.Put(ctx, "short", []byte("v"), time.Second)
	if _, err := s.Get(ctx, "short"); err != nil {
		t.Errorf("live entry: %v", err)
	}
	c.Advance(time.Second)
	if _, err := s.Get(ctx, "short"); err != agmigrate.ErrNotFound {
		t.Errorf("expired entry: %v", err)
	}
}

func TestHeaderDeliveryAndLargeTokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t, authgeartest.Options{})
	// Big roles make a big access token, as hooks adding claims do.
	var roles []string
	for i := 0; i < 300; i++ {
		roles = append(roles, "role-with-a-fairly-long-name-"+itoa(i))
	}
	alice := w.fake.AddUser(authgeartest.User{Email: "alice@example.com", Roles: roles})
	cfg := w.config()
	cfg.Delivery = agmigrate.Both(agmigrate.Cookies{InsecureAllowHTTP: true}, agmigrate.Headers{})
	h := w.middleware(cfg).Handler(app)
	r := serve(h, withLegacyCookie(w.legacyToken("alice@example.com")))
	at := r.header.Get("X-Authgear-Access-Token")
	if len(at) < 8000 || r.header.Get("X-Authgear-Refresh-Token") == "" || r.header.Get("X-Authgear-Expires-In") != "1800" {
		t.Fatalf("headers: access token of %d bytes", len(at))
	}
	if c := r.cookies["ag_access"]; c == nil || !strings.HasPrefix(c.Value, "chunks:") {
		t.Fatalf("a %d-byte token should be split over cookies", len(at))
	}
	// The chunks, sent back, make the token whole again.
	req := httptest.NewRequest("GET", "/", nil)
	var joined strings.Builder
	for name, c := range r.cookies {
		if strings.HasPrefix(name, "ag_access") {
			if len(c.Value) > 4000 {
				t.Errorf("cookie %s is %d bytes", name, len(c.Value))
			}
			req.AddCookie(&http.Cookie{Name: name, Value: c.Value})
		}
	}
	for i := 0; ; i++ {
		c, ok := r.cookies["ag_access."+itoa(i)]
		if !ok {
			break
		}
		joined.WriteString(c.Value)
	}
	if joined.String() != at {
		t.Fatal("chunks do not join into the token")
	}
	if s := serve(h, req); s.source != "authgear" || s.user != alice {
		t.Errorf("served from chunked cookies: %s %s", s.source, s.user)
	}
}
