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
// It behaves as the real server did where recordings show it: login IDs
// normalised and matched by Authgear's rules (internal/loginid); disabling
// a user or revoking sessions ends them at once; import jobs refuse the
// records Authgear refuses; resetPassword, createUser with a password and
// the password policy (CheckPassword tests a password without signing in);
// the token endpoint's rate limits on the fake's clock; refreshes record
// the User-Agent and replace the device info; webhooks signed as Authgear
// signs them. Fault{AfterCommit: true} keeps a call's effects and loses its
// answer.
//
// Behaviour is checked against every response recorded from a real
// Authgear server (see conformance_test.go); the known differences are
// listed there.
package authgeartest
