package agotel

import (
	"context"
	"errors"

	"github.com/agmigrate/agmigrate"
	"go.opentelemetry.io/otel/metric"
)

// ObserveGovernor reports the state of a middleware's governor (see
// Middleware.Governor) through asynchronous instruments read at each
// collection: exchanges in flight and queued, calls held back, Authgear
// 429 answers, and calls made on a replica's share. Unregister the
// returned registration to stop.
func ObserveGovernor(mp metric.MeterProvider, g *agmigrate.Governor, opts Options) (metric.Registration, error) {
	p := opts.Prefix
	if p == "" {
		p = "agmigrate"
	}
	m := mp.Meter("github.com/agmigrate/agmigrate/agotel")
	inFlight, err1 := m.Int64ObservableGauge(p+".governor.exchanges.in_flight", metric.WithUnit("{exchange}"),
		metric.WithDescription("Exchanges running now in this process."))
	queued, err2 := m.Int64ObservableGauge(p+".governor.exchanges.queued", metric.WithUnit("{exchange}"),
		metric.WithDescription("Exchanges waiting for a slot in this process."))
	throttled, err3 := m.Int64ObservableCounter(p+".governor.throttled", metric.WithUnit("{call}"),
		metric.WithDescription("Calls the governor held back: queue full, waited too long, or budget spent."))
	limited, err4 := m.Int64ObservableCounter(p+".governor.rate_limited", metric.WithUnit("{answer}"),
		metric.WithDescription("Authgear 429 answers."))
	degraded, err5 := m.Int64ObservableCounter(p+".governor.degraded", metric.WithUnit("{call}"),
		metric.WithDescription("Budgeted calls made on this replica's share because the shared store failed."))
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return nil, errors.Join(errors.New("agotel: creating governor instruments"), err)
	}
	return m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := g.Stats()
		o.ObserveInt64(inFlight, int64(s.InFlight))
		o.ObserveInt64(queued, int64(s.Queued))
		o.ObserveInt64(throttled, int64(s.Throttled))
		o.ObserveInt64(limited, int64(s.RateLimited))
		o.ObserveInt64(degraded, int64(s.Degraded))
		return nil
	}, inFlight, queued, throttled, limited, degraded)
}
