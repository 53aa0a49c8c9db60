package agmigrate_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// Behind a trusted proxy, Authgear counts each refresh against the end
// user's IP as the middleware forwards it (RemoteAddr by default, never
// the headers the client sent): 130 users refreshing at once from the
// app's one address pass Authgear's 120-a-minute per-IP bucket, and each
// session shows its user's address.
func TestRefreshForwardsClientIP(t *testing.T) {
	t.Parallel()
	const n = 130
	for _, c := range []struct {
		name     string
		clientIP func(*http.Request) string
		wantIP   func(i int) string // the session's last address at Authgear
		limited  bool               // some refreshes hit the per-IP bucket
	}{
		{"default: RemoteAddr", nil, userIP, false},
		{"RemoteAddrIP", agmigrate.RemoteAddrIP, userIP, false},
		{"forwarding off", func(*http.Request) string { return "" }, func(int) string { return "127.0.0.1" }, true},
		{"a list is never forwarded", func(r *http.Request) string { return r.Header.Get("X-Forwarded-For") },
			func(int) string { return "127.0.0.1" }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, authgeartest.Options{TrustProxy: true})
			cfg := w.config()
			cfg.ClientIP = c.clientIP
			h := w.middleware(cfg).Handler(app)
			firsts := make([]served, n)
			ids := make([]string, n)
			for i := range n {
				email := fmt.Sprintf("user%d@example.com", i)
				ids[i] = w.fake.AddUser(authgeartest.User{Email: email})
				firsts[i] = serve(h, withLegacyCookie(w.legacyToken(email)))
				if firsts[i].source != "exchanged" {
					t.Fatalf("user %d: %s", i, firsts[i].source)
				}
			}
			w.clock.Advance(time.Hour) // the access tokens expired
			got := make([]served, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := cookieRequest(firsts[i], "ag_access", "ag_refresh")
					r.RemoteAddr = userIP(i) + ":40000"
					// What a client may send: never passed through.
					r.Header.Set("X-Forwarded-For", "198.51.100.66, 198.51.100.67")
					r.Header.Set("Forwarded", "for=198.51.100.66")
					got[i] = serve(h, r)
				}()
			}
			wg.Wait()
			refreshed := 0
			for i := range n {
				if got[i].source == "authgear" {
					refreshed++
					if s := w.fake.Sessions(ids[i]); len(s) != 1 || s[0].LastAccessedIP != c.wantIP(i) {
						t.Errorf("user %d: sessions %+v", i, s)
					}
				}
			}
			if limited := w.fake.Calls("rate_limited.token-ip"); (limited > 0) != c.limited || (!c.limited && refreshed != n) {
				t.Errorf("%d of %d refreshed, %d refused per IP", refreshed, n, limited)
			}
		})
	}
}

func userIP(i int) string { return fmt.Sprintf("203.0.%d.%d", 113+i/250, 1+i%250) }
