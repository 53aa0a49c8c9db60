package agprom

import (
	"github.com/agmigrate/agmigrate"
	"github.com/prometheus/client_golang/prometheus"
)

// RegisterGovernor exports the state of a middleware's governor (see
// Middleware.Governor): exchanges in flight and queued, and how often it
// held calls back or met an Authgear 429. Values are read at scrape time.
func RegisterGovernor(reg prometheus.Registerer, g *agmigrate.Governor, opts Options) error {
	ns := opts.Namespace
	if ns == "" {
		ns = "agmigrate"
	}
	stat := func() agmigrate.GovernorStats { return g.Stats() }
	cs := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "governor_exchanges_in_flight",
			Help: "Exchanges running now in this process."}, func() float64 { return float64(stat().InFlight) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "governor_exchanges_queued",
			Help: "Exchanges waiting for a slot in this process."}, func() float64 { return float64(stat().Queued) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: "governor_throttled_total",
			Help: "Calls the governor held back: queue full, waited too long, or budget spent."}, func() float64 { return float64(stat().Throttled) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: "governor_rate_limited_total",
			Help: "Authgear 429 answers (each pauses the budget)."}, func() float64 { return float64(stat().RateLimited) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Name: "governor_degraded_total",
			Help: "Budgeted calls made on this replica's share because the shared store failed."}, func() float64 { return float64(stat().Degraded) }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
