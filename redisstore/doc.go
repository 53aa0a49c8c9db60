// Package redisstore is an agmigrate.Store on Redis, for apps that run
// several replicas. It is its own Go module, so importing agmigrate pulls in
// no Redis driver.
//
// With one store shared by every replica, a legacy token presented to
// several replicas at once (one page load, many parallel requests) is
// exchanged once: the first replica takes a lock (SET NX with a lease that
// outlives the exchange, released only by its holder), the others wait for
// the result, told by sharded pub/sub when it is stored. Values arrive
// sealed by agmigrate, so Redis never holds a usable token.
//
// Any redis.UniversalClient works, Cluster included: an exchange's value,
// lock and channel share a hash tag, so they live on one master. Redis 7.0
// or later is needed (SPUBLISH, SSUBSCRIBE).
//
// Calls run detached from the request, under the store's own timeout, so
// a request that goes away never makes Redis look down. A node that fails
// is paused (on a Cluster, that master's slots only) and tried again by one
// call once the pause is over; meanwhile agmigrate's local memory in each
// replica keeps one session per token per replica, and requests keep being
// served. Locks are released even while paused.
package redisstore
