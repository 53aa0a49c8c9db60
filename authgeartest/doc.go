// Package authgeartest is a fake Authgear server for tests: an httptest
// server that speaks Authgear's protocol closely enough that code tested
// against it works against the real thing.
//
// It serves OIDC discovery, the JWKS (with key rotation), the token
// endpoint's refresh_token grant, userinfo, the Admin API GraphQL endpoint
// (queries parsed and validated against a subset of the real schema and
// executed for real) and the User Import API. The admin JWT is checked as
// Authgear checks it. Users are seeded with login IDs and flags; every call
// is counted; faults (latency, an HTTP status, a GraphQL error, a dropped
// connection) can be injected per endpoint.
//
// Like a new Authgear project, the fake has createSession switched off
// until Options.EnableCreateSession (or SetCreateSessionEnabled) turns it on.
//
// Behaviour is checked against responses recorded from a real Authgear
// server (see conformance_test.go); the known differences are listed there.
package authgeartest
