package redisstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/redisstore"
)

// Attacks on redisstore's promises (issue 10), with a real redis-server.

// Redis restarted empty (no persistence, a failover to an empty replica)
// between two requests: every replica had the exchange, none saw Redis
// fail. Past LocalFreshness each asks Redis, which no longer holds the
// value; the legacy token must still lead to its one session, not to a
// new one per restart.
func TestAttackRestartedEmptyKeepsExchanges(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	clk := newClock()
	reps := clockedReplicas(t, fake, rs, clk)
	tok := legacyToken("alice@example.com", 1)
	first := hit(reps[0], tok)
	for _, r := range reps {
		if a := hit(r, tok); !strings.HasPrefix(a.body, "exchanged "+alice) || a.access != first.access {
			t.Fatalf("replica %s before the restart: %q", r.name, a.body)
		}
	}
	rs.stop()
	rs.start()                   // empty: no RDB, no AOF
	clk.Advance(6 * time.Second) // past LocalFreshness
	for round := 0; round < 2; round++ {
		everyReplicaExchanged(t, reps, tok, alice, " after the restart")
		clk.Advance(6 * time.Second)
	}
	if n, c := fake.SessionCount(alice), fake.Calls("createSession"); n != 1 || c != 1 {
		t.Errorf("%d sessions, %d createSession calls after Redis restarted empty; want 1 and 1", n, c)
	}
}

// The other side of the same question: an exchange deleted in Redis on
// purpose (ExchangeKey), with Redis otherwise intact, is forgotten by
// every replica past LocalFreshness, and the token is exchanged again.
func TestAttackDeletedExchangeForgotten(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	clk := newClock()
	reps := clockedReplicas(t, fake, rs, clk)
	tok := legacyToken("alice@example.com", 2)
	everyReplicaExchanged(t, reps, tok, alice, "")
	value, _, _ := redisstore.KeyNames(reps[0].store, exchangeKey(fake, tok))
	if n, err := rs.client().Del(context.Background(), value).Result(); err != nil || n != 1 {
		t.Fatalf("DEL %d %v", n, err)
	}
	clk.Advance(6 * time.Second)
	var access []string
	for _, r := range reps {
		a := hit(r, tok)
		if !strings.HasPrefix(a.body, "exchanged "+alice) {
			t.Fatalf("replica %s after the deletion: %q", r.name, a.body)
		}
		access = append(access, a.access)
	}
	if n, c := fake.SessionCount(alice), fake.Calls("createSession"); n != 2 || c != 2 {
		t.Errorf("%d sessions, %d createSession calls after the deletion; want 2 and 2 (exchanged again, once)", n, c)
	}
	if access[1] != access[0] || access[2] != access[0] {
		t.Error("the replicas hand out different sessions after the deletion")
	}
}

// gate holds createSession calls until released, after telling entered.
type gate struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte("createSession")) {
			g.once.Do(func() { close(g.entered) })
			<-g.release
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// Redis stops while replica a holds the lock and createSession runs: a's
// put fails. With Redis down each replica makes at most one session for
// the token however often it comes back (the pauses running out between
// rounds), and once Redis is back (empty) no replica makes another, and
// all converge on one session.
func TestAttackRedisStopsBetweenLockAndPut(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	clk := newClock()
	g := &gate{entered: make(chan struct{}), release: make(chan struct{})}
	var reps []*replica
	for i, name := range []string{"a", "b", "c"} {
		reps = append(reps, newReplica(t, fake, rs.client(), name, &storeEvents{}, clk, func(c *agmigrate.Config) {
			c.Now = clk.Now
			if i == 0 {
				admin, err := adminapi.New(adminapi.Config{Endpoint: fake.URL, ProjectID: fake.ProjectID(), Key: fake.AdminKey(),
					HTTPClient: &http.Client{Transport: g}})
				if err != nil {
					t.Fatal(err)
				}
				c.Admin = admin
			}
		}))
	}
	tok := legacyToken("alice@example.com", 3)
	done := make(chan answer)
	go func() { done <- hit(reps[0], tok) }()
	<-g.entered
	rs.stop()
	close(g.release)
	if a := <-done; !strings.HasPrefix(a.body, "exchanged "+alice) {
		t.Fatalf("the lock holder: %q", a.body)
	}
	for round := 0; round < 3; round++ {
		for _, r := range reps {
			if a := hit(r, tok); !strings.HasPrefix(a.body, "exchanged "+alice) {
				t.Fatalf("round %d, replica %s, Redis down: %q", round, r.name, a.body)
			}
		}
		clk.Advance(pause + 6*time.Second) // the pauses and the freshness run out
	}
	for r, n := range sessionsByReplica(fake, alice) {
		if n > 1 {
			t.Errorf("Redis down: replica %s made %d sessions, want at most 1", r, n)
		}
	}
	during := fake.SessionCount(alice)
	rs.start()
	clk.Advance(pause)
	for _, r := range reps {
		recovered(t, clk, r.store, exchangeKey(fake, tok))
	}
	var last []string
	for round := 0; round < 3; round++ {
		last = last[:0]
		for _, r := range reps {
			a := hit(r, tok)
			if !strings.HasPrefix(a.body, "exchanged "+alice) {
				t.Fatalf("round %d, replica %s, Redis back: %q", round, r.name, a.body)
			}
			last = append(last, a.access)
		}
		clk.Advance(6 * time.Second)
	}
	if n := fake.SessionCount(alice); n != during {
		t.Errorf("%d sessions after Redis came back, had %d", n, during)
	}
	if last[1] != last[0] || last[2] != last[0] {
		t.Error("the replicas still hand out different sessions after Redis came back")
	}
}

// On a 3-master Cluster, the master holding a token's keys is restarted
// empty (no persistence) after every replica had the exchange: the token
// must still lead to its one session, whichever master agmigrate's own
// marker lives on.
func TestAttackClusterNodeRestartedEmpty(t *testing.T) {
	c := startCluster(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	clk := newClock()
	var reps []*replica
	for _, name := range []string{"a", "b", "c"} {
		reps = append(reps, newReplica(t, fake, c.client(), name, &storeEvents{}, clk, func(cf *agmigrate.Config) { cf.Now = clk.Now }))
	}
	// agmigrate's store-wide marker (localmemory.go's genKey) on one
	// master, the token's keys on another: the marker alone cannot tell.
	h := sha256.Sum256([]byte("agmigrate/v1/key/g\x00generation"))
	marker, _, _ := redisstore.KeyNames(reps[0].store, "agm:g:"+hex.EncodeToString(h[:]))
	var tok string
	var victim *redisServer
	for n := 500; victim == nil || victim == c.nodeFor(marker); n++ {
		tok = legacyToken("alice@example.com", n)
		v, _, _ := redisstore.KeyNames(reps[0].store, exchangeKey(fake, tok))
		victim = c.nodeFor(v)
	}
	first := hit(reps[0], tok)
	for _, r := range reps {
		if a := hit(r, tok); !strings.HasPrefix(a.body, "exchanged "+alice) || a.access != first.access {
			t.Fatalf("replica %s before the restart: %q", r.name, a.body)
		}
	}
	victim.stop()
	c.restart(victim)
	clk.Advance(pause + 6*time.Second)
	for _, r := range reps {
		recovered(t, clk, r.store, exchangeKey(fake, tok))
	}
	for round := 0; round < 2; round++ {
		everyReplicaExchanged(t, reps, tok, alice, " after the restart")
		clk.Advance(6 * time.Second)
	}
	if n, calls := fake.SessionCount(alice), fake.Calls("createSession"); n != 1 || calls != 1 {
		t.Errorf("%d sessions, %d createSession calls after the master restarted empty; want 1 and 1", n, calls)
	}
}

// Authgear ends the session (the user disabled) after three replicas
// sharing Redis all had the exchange: past RevalidateAfter, each replica
// answers 401 "sign in again", before and after the stored access token
// expired, and after the user is enabled again; none makes a session.
func TestAttackEndedSessionOnEveryReplica(t *testing.T) {
	rs := startRedis(t)
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	clk := newClock()
	reps := clockedReplicas(t, fake, rs, clk)
	tok := legacyToken("alice@example.com", 4)
	everyReplicaExchanged(t, reps, tok, alice, "")
	if err := fake.SetDisabledStatus(alice, true, "test"); err != nil {
		t.Fatal(err)
	}
	check := func(phase string, order ...int) {
		t.Helper()
		for _, i := range order {
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(&http.Cookie{Name: "legacy_session", Value: tok})
			rec := httptest.NewRecorder()
			reps[i].h.ServeHTTP(rec, req)
			if rec.Code != 401 || !strings.Contains(rec.Body.String(), "sign in again") {
				t.Errorf("%s, replica %s: %d %q", phase, reps[i].name, rec.Code, rec.Body.String())
			}
		}
	}
	clk.Advance(6 * time.Minute)
	check("disabled", 2, 0, 1)
	if err := fake.SetDisabledStatus(alice, false, ""); err != nil {
		t.Fatal(err)
	}
	clk.Advance(31 * time.Minute)
	check("enabled again, access token expired", 1, 2, 0)
	if c := fake.Calls("createSession"); c != 1 {
		t.Errorf("%d createSession calls, want 1", c)
	}
}

// clockedReplicas are three replicas a, b and c on rs, whose middlewares
// all read clk.
func clockedReplicas(t *testing.T, fake *authgeartest.Server, rs *redisServer, clk *clock) []*replica {
	t.Helper()
	var reps []*replica
	for _, name := range []string{"a", "b", "c"} {
		reps = append(reps, newReplica(t, fake, rs.client(), name, &storeEvents{}, clk, func(c *agmigrate.Config) { c.Now = clk.Now }))
	}
	return reps
}

// everyReplicaExchanged: each replica serves tok as alice's exchanged
// session; when says at which point of the test, for the failure.
func everyReplicaExchanged(t *testing.T, reps []*replica, tok, alice, when string) {
	t.Helper()
	for _, r := range reps {
		if a := hit(r, tok); !strings.HasPrefix(a.body, "exchanged "+alice) {
			t.Fatalf("replica %s%s: %q", r.name, when, a.body)
		}
	}
}
