package agotel_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/agotel"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

var secret = []byte("a home-grown system's HMAC secret, 32+ bytes")

func legacyToken(email string) string {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	in := enc(map[string]any{"alg": "HS256", "typ": "JWT"}) + "." + enc(map[string]any{
		"iss": "https://legacy.example.com", "aud": "web", "email": email, "email_verified": true, "exp": 1 << 40})
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func collect(t *testing.T, rd *sdkmetric.ManualReader) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := rd.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

func sum(agg metricdata.Aggregation, outcome string) int64 {
	s, ok := agg.(metricdata.Sum[int64])
	if !ok {
		return -1
	}
	var n int64
	for _, dp := range s.DataPoints {
		if v, ok := dp.Attributes.Value(attribute.Key("outcome")); outcome == "" || (ok && v.AsString() == outcome) {
			n += dp.Value
		}
	}
	return n
}

func TestOTelMetricsFromMiddleware(t *testing.T) {
	ctx := context.Background()
	fake := authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	uid := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer ag.Close()
	legacy, err := verifier.NewJWT(ctx, verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	rd := sdkmetric.NewManualReader()
	obs, err := agotel.New(sdkmetric.NewMeterProvider(sdkmetric.WithReader(rd)), agotel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mw, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.HeaderExtractor{Name: "X-Legacy-Token"}, Delivery: agmigrate.Headers{},
		Observer: obs,
	})
	if err != nil {
		t.Fatal(err)
	}
	app := mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, tok := range []string{legacyToken("alice@example.com"), legacyToken("alice@example.com"), legacyToken("ghost@example.com"), ""} {
		r := httptest.NewRequest("GET", "/", nil)
		if tok != "" {
			r.Header.Set("X-Legacy-Token", tok)
		}
		app.ServeHTTP(httptest.NewRecorder(), r)
	}
	obs.StoreFailed(errors.New("redis down"))

	got := collect(t, rd)
	if n := sum(got["agmigrate.requests"], ""); n != 4 {
		t.Errorf("requests = %d, want 4", n)
	}
	for outcome, want := range map[string]int64{"exchanged": 1, "user_missing": 1, "anonymous": 1} {
		if n := sum(got["agmigrate.requests"], outcome); n != want {
			t.Errorf("requests{outcome=%s} = %d, want %d", outcome, n, want)
		}
	}
	if n := sum(got["agmigrate.exchanges"], ""); n != 1 {
		t.Errorf("exchanges = %d, want 1", n)
	}
	if n := sum(got["agmigrate.store.failures"], ""); n != 1 {
		t.Errorf("store failures = %d, want 1", n)
	}
	h, ok := got["agmigrate.request.duration"].(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("duration is %T", got["agmigrate.request.duration"])
	}
	var count uint64
	for _, dp := range h.DataPoints {
		count += dp.Count
		for _, kv := range dp.Attributes.ToSlice() {
			if v := kv.Value.Emit(); strings.Contains(v, "alice") || strings.Contains(v, "ghost") || v == uid {
				t.Errorf("attribute %s=%s names a user", kv.Key, v)
			}
		}
	}
	if count != 4 {
		t.Errorf("duration samples = %d, want 4", count)
	}
}
