// Package revoke finds and revokes the Authgear sessions agmigrate created,
// and only those, to undo a cut-over: together with Rollout{Percent: 0}
// every user goes back to the legacy system.
//
// What marks a session. createSession records the User-Agent of the Admin
// API call as the session's userAgent (recorded from a real server, case
// 173), and agmigrate's Admin API client always sends
// adminapi.MarkerUserAgent; agmigrate also adds the key
// adminapi.DeviceInfoMarkerKey to the device info it creates sessions with
// (Authgear stores it, but the Admin API does not return device info, only
// names derived from it). A session the user created by signing in at
// Authgear carries the user's own User-Agent and is never selected.
//
// Authgear overwrites both with each refresh (the refresh request's
// User-Agent and x_device_info, cases 174-180), so a migrated session that
// has been refreshed since no longer carries the marker and is not found.
// Report.Unmarked counts the refresh-token sessions of the same client
// that were left alone, so an operator sees how many remain.
package revoke
