package agotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/agotel"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// A user held back by the governor (one slot, no queue, the slot taken by
// an exchange hanging at Authgear) shows in the governor's instruments.
func TestOTelGovernor(t *testing.T) {
	ctx := context.Background()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer ag.Close()
	legacy, err := verifier.NewJWT(ctx, verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	mw, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.HeaderExtractor{Name: "X-Legacy-Token"}, Delivery: agmigrate.Headers{},
		MaxExchanges: 1, ExchangeQueue: -1, QueueWait: time.Millisecond, ExchangeTimeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	rd := sdkmetric.NewManualReader()
	if _, err := agotel.ObserveGovernor(sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd)), mw.Governor(), agotel.Options{}); err != nil {
		t.Fatal(err)
	}
	app := mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	send := func(tok string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Legacy-Token", tok)
		app.ServeHTTP(httptest.NewRecorder(), r)
	}
	hold := make(chan struct{})
	fake.SetFault("getUserByLoginID", authgeartest.Fault{Hold: hold, Times: 1})
	done := make(chan struct{})
	go func() { defer close(done); send(legacyToken("alice@example.com")) }()
	for mw.Governor().Stats().InFlight != 1 { // the exchange holds the slot
		select {
		case <-done:
			t.Fatal("the first exchange finished without taking the slot")
		default:
			runtime.Gosched()
		}
	}
	send(legacyToken("bob@example.com"))
	got := collect(t, rd)
	gauge := func(name string) int64 {
		g, ok := got[name].(metricdata.Gauge[int64])
		if !ok || len(g.DataPoints) != 1 {
			t.Fatalf("%s is %T", name, got[name])
		}
		return g.DataPoints[0].Value
	}
	if n := gauge("agmigrate.governor.exchanges.in_flight"); n != 1 {
		t.Errorf("in flight = %d, want 1", n)
	}
	if n := sum(got["agmigrate.governor.throttled"], ""); n < 1 {
		t.Errorf("throttled = %d, want at least 1", n)
	}
	close(hold)
	<-done
}
