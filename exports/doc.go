// Package exports turns the user exports that identity providers produce
// themselves into Authgear import records (adminapi.ImportRecord), field
// by field, so a migration starts from the provider's file instead of a
// hand-written converter:
//
//	Auth0     bulk user export (NDJSON) and the password hash export (NDJSON)
//	Firebase  firebase auth:export (JSON), with the project's hash parameters
//	Cognito   ListUsers output (JSON); Cognito exports no password hashes
//	Okta      the Users API's list of users (JSON); Okta exports no password hashes
//	Keycloak  a realm export (JSON) with its users and credentials
//
// bcrypt hashes go into the record (Authgear imports bcrypt only). Every
// other hash becomes a passwords.Entry for a sidecar file that the
// passwords package verifies at login. What a record cannot carry (a
// password the export lacks, a social identity, an attribute Authgear has
// no field for) is listed per user in User.NotCarried, in words that never
// include a hash or a password.
package exports
