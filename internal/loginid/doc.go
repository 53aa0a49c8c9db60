// Package loginid reproduces Authgear's login-ID normalisation
// (authgear-server pkg/lib/authn/identity/loginid/normalizer.go at
// fa7a7d551dda), so that agmigrate and the fake Authgear can predict which
// stored account a login ID reaches.
//
// Normalize turns a value into what Authgear stores as login_id (and as the
// email / phone_number / preferred_username claim). UniqueKey turns a
// normalised value into the key Authgear matches on; two values reach the
// same account exactly when their unique keys are equal. CheckCreate holds
// the extra checks Authgear runs only when a login ID is created.
//
// Lookups (getUserByLoginID) normalise the value as given: no trimming and
// no format check. Creation trims first, checks, then normalises.
//
// The phone normaliser is an approximation: Authgear parses numbers with
// libphonenumber and requires a "possible" number; this package accepts
// 7 to 15 digits after a "+" whose first digit is not 0, and does not know
// per-country lengths or national trunk prefixes.
package loginid
