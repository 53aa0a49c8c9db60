package agprom

import (
	"errors"
	"hash/maphash"
	"net/http"
	"sync"

	"github.com/agmigrate/agmigrate"
	"github.com/prometheus/client_golang/prometheus"
)

// Options tunes the metrics. The zero value is ready to use.
type Options struct {
	// Namespace prefixes every metric name. Default "agmigrate".
	Namespace string
	// Buckets of the request-duration histogram, in seconds. Default:
	// from 1 ms to 10 s, which spans a cache hit and a slow exchange.
	Buckets []float64
	// MaxImportGapUsers bounds how many distinct missing users the
	// import-gap gauge tells apart (each costs 8 bytes). Past it the gauge
	// stops rising. Default 100,000.
	MaxImportGapUsers int
}

// Observer is an agmigrate.Observer (and agmigrate.StoreObserver) that
// counts outcomes into Prometheus metrics. Create it with New.
type Observer struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	exchanges     prometheus.Counter
	storeFailures prometheus.Counter
	importGap     prometheus.Gauge

	gapMu   sync.Mutex
	gapSeed maphash.Seed
	gapSeen map[uint64]struct{}
	gapMax  int
}

var (
	_ agmigrate.Observer      = (*Observer)(nil)
	_ agmigrate.StoreObserver = (*Observer)(nil)
)

// New registers agmigrate's metrics with reg and returns the observer
// that feeds them. It fails when reg already holds metrics of those names
// (two observers on one registry need different Namespaces).
func New(reg prometheus.Registerer, opts Options) (*Observer, error) {
	ns := opts.Namespace
	if ns == "" {
		ns = "agmigrate"
	}
	buckets := opts.Buckets
	if len(buckets) == 0 {
		buckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	}
	o := &Observer{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "requests_total",
			Help: "Requests seen by the agmigrate middleware, by outcome and by how the request was served."},
			[]string{"outcome", "source"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "request_duration_seconds",
			Help: "Time spent in the agmigrate middleware before the handler, by outcome (exchanged: the exchange; refreshed: the refresh).", Buckets: buckets},
			[]string{"outcome"}),
		exchanges: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "exchanges_total",
			Help: "Legacy sessions exchanged for a new Authgear session (one per legacy token)."}),
		storeFailures: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "store_failures_total",
			Help: "Failed calls to the exchange store (a shared store unreachable)."}),
		importGap: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "import_gap_users",
			Help: "Distinct legacy users seen since start who are missing from Authgear (bounded)."}),
		gapSeed: maphash.MakeSeed(),
		gapSeen: make(map[uint64]struct{}),
		gapMax:  opts.MaxImportGapUsers,
	}
	if o.gapMax <= 0 {
		o.gapMax = 100_000
	}
	for _, c := range []prometheus.Collector{o.requests, o.duration, o.exchanges, o.storeFailures, o.importGap} {
		if err := reg.Register(c); err != nil {
			return nil, errors.Join(errors.New("agprom: registering metrics"), err)
		}
	}
	// Every outcome starts at zero, so rate() and dashboards see a series
	// before the first such request.
	for out := agmigrate.Outcome(0); out.String() != "unknown"; out++ {
		o.duration.WithLabelValues(out.String())
		for src := agmigrate.SourceNone; src <= agmigrate.SourceLegacy; src++ {
			o.requests.WithLabelValues(out.String(), src.String())
		}
	}
	return o, nil
}

// Observe counts one request. Only the outcome and the source become
// labels; identities never do.
func (o *Observer) Observe(_ *http.Request, e agmigrate.Event) {
	out := e.Outcome.String()
	o.requests.WithLabelValues(out, e.Source.String()).Inc()
	o.duration.WithLabelValues(out).Observe(e.Duration.Seconds())
	switch e.Outcome {
	case agmigrate.OutcomeExchanged:
		o.exchanges.Inc()
	case agmigrate.OutcomeUserMissing:
		o.noteMissing(e.LoginID)
	}
}

// StoreFailed counts a failed store call.
func (o *Observer) StoreFailed(error) { o.storeFailures.Inc() }

// noteMissing counts distinct missing users by a hash with a per-process
// seed: the set holds no login ID, and the hash means nothing elsewhere.
func (o *Observer) noteMissing(loginID string) {
	if loginID == "" {
		return
	}
	h := maphash.String(o.gapSeed, loginID)
	o.gapMu.Lock()
	defer o.gapMu.Unlock()
	if _, ok := o.gapSeen[h]; ok || len(o.gapSeen) >= o.gapMax {
		return
	}
	o.gapSeen[h] = struct{}{}
	o.importGap.Set(float64(len(o.gapSeen)))
}
