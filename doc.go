// Package agmigrate moves a web app from a legacy authentication system
// (Auth0, Firebase, Cognito, a home-grown JWT or session system) to
// Authgear without logging anyone out.
//
// Wrap handlers with a Middleware (New, then Handler). It accepts Authgear
// sessions and legacy sessions; a verified legacy session is exchanged, once
// per legacy token, for an Authgear session through the Admin API
// (getUserByLoginID, then createSession), the new tokens are handed to the
// client (cookies or headers), and the request is served as the Authgear
// user, whose identity handlers read with IdentityFrom. Mobile and
// single-page clients call the MigrationEndpoint instead. Rolling migration
// (Rollout), a dry run (Shadow) and the end of the legacy system (SunsetAt)
// are settings of the same Config.
//
// The subpackages: verifier checks Authgear and legacy tokens; adminapi is
// the Admin API client, including the User Import API for bulk migration;
// authgeartest is a fake Authgear for tests.
package agmigrate
