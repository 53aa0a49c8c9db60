// Package agmigrate moves a web app from a legacy authentication system
// (Auth0, Firebase, Cognito, a home-grown JWT or session system) to
// Authgear without logging anyone out.
//
// This module holds, so far:
//
//   - adminapi: a typed client for the Authgear Admin API (getUserByLoginID,
//     createSession), the admin JWT signer, and the User Import API for
//     bulk migration;
//   - authgeartest: a fake Authgear server for tests, checked against
//     responses recorded from a real one.
//
// The middleware that exchanges a verified legacy session for an Authgear
// session on the first request (middleware.go, exchange.go) and the token
// verifiers (verifier/) are being built on this foundation.
package agmigrate
