// Package adminapi is a client for the Authgear Admin API: the typed GraphQL
// operations agmigrate needs (getUserByLoginID and createSession, generated
// by genqlient from schema.graphql and operations.graphql), the admin JWT
// that authenticates every call, and the User Import API used for bulk
// migration.
//
// Errors are typed so a caller can act on them: [ErrUserNotFound],
// [ErrInvalidLoginID], [ErrCreateSessionDisabled], [ErrForbidden] and
// [ErrTransient] match with errors.Is; [*GraphQLError] and [*HTTPError] carry
// the server's own fields for errors.As. No token or key is ever part of an
// error message.
//
// Regenerate the typed client with `go generate ./adminapi` after changing
// operations.graphql; a test fails when generated.go is stale.
package adminapi
