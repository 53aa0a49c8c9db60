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
// The identity Authgear holds for the login ID must equal the verified one
// (LoginIDMatch) before any session is made; a legacy token is spent once
// exchanged (a tombstone once Authgear ends its session); each replica
// keeps its exchanges in local memory behind the shared Store; a Governor
// keeps Admin API and token-endpoint calls inside Authgear's budgets. A
// Capturer sets the password a legacy login accepted for users who were
// not logged in at cut-over.
//
// The subpackages: verifier checks Authgear and legacy tokens; adminapi is
// the Admin API client, including the User Import API for bulk migration;
// authgeartest is a fake Authgear for tests that answers as the real
// server did in recorded cases; passwords checks exported legacy password
// hashes; exports reads providers' user exports; webhook receives Authgear's
// webhook deliveries (new sign-ups mirrored to the legacy system); revoke
// undoes a cut-over. The modules redisstore (the Store on Redis), agprom
// and agotel (metrics) live beside it, each with its own go.mod.
package agmigrate
