// Package agotel records agmigrate's request outcomes as OpenTelemetry
// metrics through the OTel metrics API. It is its own Go module, so the
// core pulls in no OpenTelemetry dependency.
//
//	obs, err := agotel.New(otel.GetMeterProvider(), agotel.Options{})
//	mw, err := agmigrate.New(agmigrate.Config{..., Observer: obs})
//
// Attributes are low-cardinality only (outcome, source); no login ID, user
// ID or token ever becomes an attribute.
package agotel

import (
	"context"
	"errors"
	"net/http"

	"github.com/agmigrate/agmigrate"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Options tunes the instruments. The zero value is ready to use.
type Options struct {
	// Prefix of every instrument name. Default "agmigrate".
	Prefix string
	// Buckets of the duration histogram, in seconds. Default: 1 ms to 10 s.
	Buckets []float64
}

// Observer is an agmigrate.Observer and agmigrate.StoreObserver that
// records into OpenTelemetry instruments. Create it with New.
type Observer struct {
	requests      metric.Int64Counter
	duration      metric.Float64Histogram
	exchanges     metric.Int64Counter
	storeFailures metric.Int64Counter
	attrs         map[[2]string]metric.MeasurementOption
}

var (
	_ agmigrate.Observer      = (*Observer)(nil)
	_ agmigrate.StoreObserver = (*Observer)(nil)
)

// New creates the instruments on a meter of mp.
func New(mp metric.MeterProvider, opts Options) (*Observer, error) {
	p := opts.Prefix
	if p == "" {
		p = "agmigrate"
	}
	buckets := opts.Buckets
	if len(buckets) == 0 {
		buckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	}
	m := mp.Meter("github.com/agmigrate/agmigrate/agotel")
	o := &Observer{attrs: make(map[[2]string]metric.MeasurementOption)}
	var errs []error
	var err error
	o.requests, err = m.Int64Counter(p+".requests", metric.WithUnit("{request}"),
		metric.WithDescription("Requests seen by the agmigrate middleware, by outcome and source."))
	errs = append(errs, err)
	o.duration, err = m.Float64Histogram(p+".request.duration", metric.WithUnit("s"),
		metric.WithDescription("Time spent in the agmigrate middleware before the handler, by outcome."),
		metric.WithExplicitBucketBoundaries(buckets...))
	errs = append(errs, err)
	o.exchanges, err = m.Int64Counter(p+".exchanges", metric.WithUnit("{session}"),
		metric.WithDescription("Legacy sessions exchanged for a new Authgear session (one per legacy token)."))
	errs = append(errs, err)
	o.storeFailures, err = m.Int64Counter(p+".store.failures", metric.WithUnit("{call}"),
		metric.WithDescription("Failed calls to the exchange store."))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, errors.Join(errors.New("agotel: creating instruments"), err)
	}
	// Attribute sets are built once: a request allocates none.
	for out := agmigrate.Outcome(0); out.String() != "unknown"; out++ {
		for src := agmigrate.SourceNone; src <= agmigrate.SourceLegacy; src++ {
			k := [2]string{out.String(), src.String()}
			o.attrs[k] = metric.WithAttributeSet(attribute.NewSet(
				attribute.String("outcome", k[0]), attribute.String("source", k[1])))
		}
	}
	return o, nil
}

// Observe records one request.
func (o *Observer) Observe(r *http.Request, e agmigrate.Event) {
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
	}
	k := [2]string{e.Outcome.String(), e.Source.String()}
	opt, ok := o.attrs[k]
	if !ok { // an outcome newer than this module's table
		opt = metric.WithAttributes(attribute.String("outcome", k[0]), attribute.String("source", k[1]))
	}
	o.requests.Add(ctx, 1, opt)
	o.duration.Record(ctx, e.Duration.Seconds(), opt)
	if e.Outcome == agmigrate.OutcomeExchanged {
		o.exchanges.Add(ctx, 1)
	}
}

// StoreFailed counts a failed store call.
func (o *Observer) StoreFailed(error) { o.storeFailures.Add(context.Background(), 1) }
