// Package revoke finds and revokes the Authgear sessions agmigrate created,
// and only those, to undo a cut-over: together with Rollout{Percent: 0}
// every user goes back to the legacy system.
//
// How a session is known. Authgear keeps nothing on a session that says
// agmigrate made it for longer than half an hour: the session's User-Agent
// and device info are those of its last refresh (recorded cases 171-181).
// But a refresh token is "<session ID>.<secret>" and that ID is the
// session's for life (cases 121-129), so the exchange writes every session
// it creates into a ledger at once ({session ID, user, client, time}, never
// a token; agmigrate.SessionLedger): the middleware's Store, or the app's
// own through Config.OnSessionCreated. Migrated revokes exactly the
// sessions the ledger names, by ID, whatever they look like now. A session
// the user created by signing in at Authgear is never in it.
//
// Sessions created before the ledger existed are found, with
// Config.Marker, by the User-Agent of the createSession call
// (adminapi.MarkerUserAgent), which Authgear shows only until the
// session's first refresh: Report.Marked counts them apart, and
// Report.Unmarked the refresh-token sessions left alone, among which are
// such sessions that were refreshed since.
package revoke
