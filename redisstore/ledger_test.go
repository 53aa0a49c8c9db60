package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/redis/go-redis/v9"
)

func ledgerAll(t *testing.T, l agmigrate.SessionLedger, page int) []agmigrate.CreatedSession {
	t.Helper()
	var out []agmigrate.CreatedSession
	var after agmigrate.CreatedSession
	for {
		p, err := l.CreatedSessions(context.Background(), after, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			return out
		}
		out = append(out, p...)
		after = p[len(p)-1]
	}
}

// Sessions created by replicas sharing Redis are all in the one ledger,
// the user's own session is not, and a second pass of the same legacy
// tokens adds nothing.
func TestLedgerAcrossReplicas(t *testing.T) {
	onEachDeployment(t, func(t *testing.T, sh *shared) {
		fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
		var users []string
		for i := range 3 {
			users = append(users, fake.AddUser(authgeartest.User{Email: fmt.Sprintf("u%d@example.com", i)}))
		}
		own, err := fake.CreateSession(users[0], "test-client", nil)
		if err != nil {
			t.Fatal(err)
		}
		rs := threeReplicas(t, fake, sh, &storeEvents{}, nil)
		for round := range 2 {
			for i := range 3 {
				for _, a := range storm(rs, legacyToken(fmt.Sprintf("u%d@example.com", i), 100+i), 6) {
					if !strings.HasPrefix(a.body, "exchanged ") && !strings.HasPrefix(a.body, "authgear ") {
						t.Fatalf("round %d: %+v", round, a)
					}
				}
			}
		}
		got := ledgerAll(t, rs[0].store, 2)
		made := fake.Sessions("")
		if len(got) != 3 || len(made) != 4 {
			t.Fatalf("ledger %d entries, fake %d sessions; want 3 and 4", len(got), len(made))
		}
		for _, e := range got {
			s, ok := fake.Session(e.SessionID)
			if !ok || s.UserID != e.UserID || e.ClientID != "test-client" || e.SessionID == own.SessionID {
				t.Errorf("entry %+v does not name a session agmigrate made (%+v)", e, s)
			}
		}
	})
}

const (
	uA = "00000000-0000-4000-8000-00000000000a"
	uB = "00000000-0000-4000-8000-00000000000b"
)

func sid(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-000000000000", i) }

// Order, paging from a cursor, duplicates, many sessions in one
// millisecond (several ZRANGE batches), a corrupt member, and forgetting.
func TestLedgerOrderOnRedis(t *testing.T) {
	rs := startRedis(t)
	rdb := rs.client()
	st := newStore(t, rdb, redisstore.Options{Prefix: "app:"})
	ctx := context.Background()
	var want []agmigrate.CreatedSession
	add := func(i int, ms int64) {
		c := agmigrate.CreatedSession{SessionID: sid(i), UserID: uA, ClientID: "web", CreatedAt: time.UnixMilli(ms)}
		if err := st.RecordSession(ctx, c); err != nil {
			t.Fatal(err)
		}
		want = append(want, c)
	}
	add(5, 3000)
	for i := 1200; i > 0; i-- { // in one millisecond, recorded in reverse
		add(1000+i, 2000)
	}
	add(7, 1000)
	if err := st.RecordSession(ctx, want[0]); err != nil { // again
		t.Fatal(err)
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Before(want[j]) })
	for _, page := range []int{1, 7, 499, 500, 501, 5000} {
		got := ledgerAll(t, st, page)
		if len(got) != len(want) {
			t.Fatalf("page %d: %d entries, want %d", page, len(got), len(want))
		}
		for i := range got {
			if got[i].SessionID != want[i].SessionID || !got[i].CreatedAt.Equal(want[i].CreatedAt) || got[i].UserID != uA {
				t.Fatalf("page %d: entry %d is %+v, want %+v", page, i, got[i], want[i])
			}
		}
	}
	// From a time: everything of that millisecond on.
	p, err := st.CreatedSessions(ctx, agmigrate.CreatedSession{CreatedAt: time.UnixMilli(2000)}, 2000)
	if err != nil || len(p) != 1201 {
		t.Errorf("from 2000: %d, %v", len(p), err)
	}
	// The key is the documented one, hash-tagged, under the prefix.
	if n, _ := rdb.ZCard(ctx, redisstore.LedgerKey("app:")).Result(); n != int64(len(want)) || redisstore.LedgerKey("") != "agmigrate:sessions:{ledger}" {
		t.Errorf("ZCARD %d, want %d", n, len(want))
	}
	// Forgetting the oldest.
	if n, err := st.ForgetSessionsBefore(ctx, time.UnixMilli(2000)); err != nil || n != 1 {
		t.Errorf("forgot %d, %v", n, err)
	}
	// A member someone else wrote there is refused, not skipped.
	rdb.ZAdd(ctx, redisstore.LedgerKey("app:"), redis.Z{Score: 2500, Member: `{"s":"x"}`})
	if _, err := st.CreatedSessions(ctx, agmigrate.CreatedSession{}, 5000); !errors.Is(err, agmigrate.ErrBadLedgerEntry) {
		t.Errorf("corrupt member: %v", err)
	}
	bad := agmigrate.CreatedSession{SessionID: sid(9), UserID: uB, ClientID: "web", CreatedAt: time.UnixMilli(2600)}
	b, _ := bad.MarshalJSON()
	rdb.ZRem(ctx, redisstore.LedgerKey("app:"), `{"s":"x"}`)
	rdb.ZAdd(ctx, redisstore.LedgerKey("app:"), redis.Z{Score: 1, Member: string(b)})
	if _, err := st.CreatedSessions(ctx, agmigrate.CreatedSession{}, 5000); !errors.Is(err, agmigrate.ErrBadLedgerEntry) {
		t.Errorf("member scored off its time: %v", err)
	}
}
