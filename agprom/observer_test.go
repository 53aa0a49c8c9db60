package agprom_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/agprom"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
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

// world is a middleware on the fake with the observer under test, and a
// real /metrics endpoint serving a registry of its own.
func world(t *testing.T) (app http.Handler, metricsURL string, fake *authgeartest.Server) {
	t.Helper()
	ctx := context.Background()
	fake = authgeartest.New(t, authgeartest.Options{EnableCreateSession: true})
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ag.Close)
	legacy, err := verifier.NewJWT(ctx, verifier.HS256(secret, "https://legacy.example.com", "web"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	obs, err := agprom.New(reg, agprom.Options{})
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
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})), srv.URL, fake
}

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value sums the samples of family name whose labels include want (a
// histogram counts its observations).
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	var sum float64
next:
	for _, m := range f.GetMetric() {
		for k, v := range want {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum, true
}

func send(t *testing.T, h http.Handler, token string) {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	if token != "" {
		r.Header.Set("X-Legacy-Token", token)
	}
	h.ServeHTTP(httptest.NewRecorder(), r)
}

func TestMetricsScrapedFromMiddleware(t *testing.T) {
	app, url, fake := world(t)
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})

	alice := legacyToken("alice@example.com")
	send(t, app, alice) // exchanged
	send(t, app, alice) // the same token again: reused, not a second migration
	send(t, app, legacyToken("ghost@example.com"))
	send(t, app, legacyToken("ghost@example.com")) // the same missing user twice
	send(t, app, legacyToken("other-ghost@example.com"))
	send(t, app, "")

	fams := scrape(t, url+"/metrics")
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"agmigrate_requests_total", map[string]string{"outcome": "exchanged"}, 1},
		{"agmigrate_requests_total", map[string]string{"outcome": "anonymous"}, 1},
		{"agmigrate_requests_total", map[string]string{"outcome": "user_missing"}, 3},
		{"agmigrate_exchanges_total", nil, 1},
		{"agmigrate_import_gap_users", nil, 2},
		{"agmigrate_request_duration_seconds", map[string]string{"outcome": "exchanged"}, 1},
		{"agmigrate_request_duration_seconds", map[string]string{"outcome": "refreshed"}, 0}, // present before the first one
	}
	for _, c := range checks {
		got, ok := value(fams, c.name, c.labels)
		if !ok || got != c.want {
			t.Errorf("%s%v = %v (present %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	if n := fake.Calls("createSession"); n != 1 {
		t.Errorf("createSession calls = %d, want 1", n)
	}
}

// No identity ever becomes a label value: the scrape holds neither the
// login IDs nor the user ID.
func TestMetricsCarryNoIdentity(t *testing.T) {
	app, url, fake := world(t)
	uid := fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	send(t, app, legacyToken("alice@example.com"))
	send(t, app, legacyToken("ghost@example.com"))

	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	for _, secretish := range []string{"alice", "ghost", uid} {
		if strings.Contains(b.String(), secretish) {
			t.Errorf("metrics mention %q", secretish)
		}
	}
}

func TestStoreFailuresCounted(t *testing.T) {
	reg := prometheus.NewRegistry()
	obs, err := agprom.New(reg, agprom.Options{})
	if err != nil {
		t.Fatal(err)
	}
	obs.StoreFailed(errors.New("redis: connection refused"))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	if got, _ := value(scrape(t, srv.URL), "agmigrate_store_failures_total", nil); got != 1 {
		t.Errorf("store failures = %v, want 1", got)
	}
}

func TestTwoObserversOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := agprom.New(reg, agprom.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := agprom.New(reg, agprom.Options{}); err == nil {
		t.Fatal("a second observer under the same names registered")
	}
	if _, err := agprom.New(reg, agprom.Options{Namespace: "other"}); err != nil {
		t.Fatalf("a second observer under another namespace: %v", err)
	}
}
