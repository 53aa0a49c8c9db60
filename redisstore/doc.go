// Package redisstore is an agmigrate.Store on Redis, for apps that run
// several replicas. It is its own Go module, so importing agmigrate pulls in
// no Redis driver.
//
// With one store shared by every replica, a legacy token presented to
// several replicas at once (one page load, many parallel requests) is
// exchanged once: the first replica takes a lock (SET NX with a lease that
// outlives the exchange, released only by its holder), the others wait for
// the result, told by pub/sub when it is stored. Values arrive sealed by
// agmigrate, so Redis never holds a usable token.
//
// When Redis is unreachable or slow, operations fail fast (short timeouts,
// then a pause before trying Redis again), agmigrate falls back to
// deduplicating within each replica, and requests keep being served; the
// store recovers on its own when Redis answers again.
package redisstore
