package agprom_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/agprom"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// With one exchange slot and no queue, a second user is held back while
// the first exchange hangs at Authgear: the scrape shows one in flight
// and one throttled.
func TestGovernorMetricsScraped(t *testing.T) {
	ctx := context.Background()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	fake.AddUser(authgeartest.User{Email: "bob@example.com"})
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ag.Close)
	legacy, err := verifier.NewJWT(ctx, verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	mw, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.HeaderExtractor{Name: "X-Legacy-Token"}, Delivery: agmigrate.Headers{},
		MaxExchanges: 1, ExchangeQueue: -1, QueueWait: time.Millisecond,
		ExchangeTimeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := agprom.RegisterGovernor(reg, mw.Governor(), agprom.Options{}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	app := mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))

	hold := make(chan struct{})
	fake.SetFault("getUserByLoginID", authgeartest.Fault{Hold: hold, Times: 1})
	first := make(chan struct{})
	go func() { defer close(first); send(t, app, legacyToken("alice@example.com")) }()
	// Wait (by polling the scrape, not by sleeping a guess) until alice's
	// exchange holds the only slot.
	deadline := time.Now().Add(time.Minute)
	for {
		if v, _ := value(scrape(t, srv.URL), "agmigrate_governor_exchanges_in_flight", nil); v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first exchange never took its slot")
		}
		runtime.Gosched()
	}
	send(t, app, legacyToken("bob@example.com")) // no slot, no queue: held back
	fams := scrape(t, srv.URL)
	if v, _ := value(fams, "agmigrate_governor_throttled_total", nil); v < 1 {
		t.Errorf("throttled = %v, want at least 1", v)
	}
	if v, ok := value(fams, "agmigrate_governor_rate_limited_total", nil); !ok || v != 0 {
		t.Errorf("rate limited = %v (present %v), want 0", v, ok)
	}
	close(hold)
	<-first
	if v, _ := value(scrape(t, srv.URL), "agmigrate_governor_exchanges_in_flight", nil); v != 0 {
		t.Errorf("in flight after the exchange = %v", v)
	}
}
