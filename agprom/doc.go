// Package agprom exports agmigrate's request outcomes as Prometheus
// metrics. It is its own Go module, so an app that does not use Prometheus
// never downloads client_golang through agmigrate.
//
// Wire it as the middleware's Observer:
//
//	obs := agprom.New(prometheus.DefaultRegisterer, agprom.Options{})
//	mw, err := agmigrate.New(agmigrate.Config{..., Observer: obs})
//
// Labels are low-cardinality only: the outcome and the session source.
// No login ID, user ID or token ever becomes a label value.
package agprom
