package redisstore_test

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
	"github.com/agmigrate/agmigrate/verifier"
)

// With refresh-token rotation, concurrent refreshes of one session on
// different replicas make one refresh at Authgear and share its tokens.
func TestRefreshAcrossReplicasWithRotation(t *testing.T) {
	onEachDeployment(t, func(t *testing.T, sh *shared) {
		clk := newClock()
		fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true, Now: clk.Now,
			Clients: []authgeartest.Client{{ID: "test-client", RotateRefreshTokens: true, AccessTokenLifetime: time.Minute}}})
		alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
		fake.SetFault("token", authgeartest.Fault{Latency: 30 * time.Millisecond})
		var rs []*replica
		for _, name := range []string{"a", "b", "c"} {
			rs = append(rs, newReplica(t, fake, sh.client(), name, &storeEvents{}, clk, func(c *agmigrate.Config) {
				ag, err := verifier.NewAuthgear(context.Background(), verifier.AuthgearConfig{Endpoint: fake.URL, Now: clk.Now})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(ag.Close)
				c.Authgear, c.Now = ag, clk.Now
			}))
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: "legacy_session", Value: legacyToken("alice@example.com", 9)})
		rec := httptest.NewRecorder()
		rs[0].h.ServeHTTP(rec, r)
		var refresh string
		for _, c := range rec.Result().Cookies() {
			if c.Name == "ag_refresh" {
				refresh = c.Value
			}
		}
		if refresh == "" {
			t.Fatalf("no refresh cookie: %s", rec.Body.String())
		}
		clk.Advance(2 * time.Minute) // the access token expires
		var wg sync.WaitGroup
		got := make([]string, 30)
		for i := range got {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r := httptest.NewRequest("GET", "/", nil)
				r.AddCookie(&http.Cookie{Name: "ag_refresh", Value: refresh})
				rec := httptest.NewRecorder()
				rs[i%3].h.ServeHTTP(rec, r)
				for _, c := range rec.Result().Cookies() {
					if c.Name == "ag_refresh" {
						got[i] = c.Value
					}
				}
				if !strings.HasPrefix(rec.Body.String(), "authgear "+alice) {
					t.Errorf("request %d: %q", i, rec.Body.String())
				}
			}(i)
		}
		wg.Wait()
		if n := fake.Calls("token"); n != 1 {
			t.Errorf("%d refreshes at Authgear across 3 replicas, want 1", n)
		}
		for i, g := range got {
			if g == "" || g != got[0] || g == refresh {
				t.Fatalf("request %d got refresh token %q, want the one new token", i, g)
			}
		}
	})
}
