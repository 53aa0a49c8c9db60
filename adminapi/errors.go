package adminapi

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// Sentinel errors. Match them with errors.Is; the concrete error carries
// the details (a *GraphQLError, *HTTPError or *TransportError).
var (
	// ErrUserNotFound: no user has the login ID (getUserByLoginID answered
	// null), or the user ID given to createSession does not exist.
	ErrUserNotFound = errors.New("adminapi: user not found")
	// ErrInvalidLoginID: Authgear refused the login ID key or value
	// (Invalid / GetUsersInvalidArgument), e.g. a key that is not configured.
	ErrInvalidLoginID = errors.New("adminapi: invalid login ID")
	// ErrCreateSessionDisabled: the project's feature flag
	// admin_api.create_session_enabled is off (Forbidden, "CreateSession is
	// disabled"). Authgear Cloud projects must ask Authgear to turn it on.
	ErrCreateSessionDisabled = errors.New("adminapi: createSession is disabled for this project")
	// ErrForbidden: the Admin API refused the admin JWT (HTTP 403 with a
	// plain-text body): wrong key, key ID or project ID, or a clock far off.
	ErrForbidden = errors.New("adminapi: admin key rejected (HTTP 403)")
	// ErrTransient: a failure worth retrying: network error, timeout, or an
	// HTTP 5xx / 429 answer.
	ErrTransient = errors.New("adminapi: transient failure")
	// ErrInvalidInput: a request refused by Authgear as malformed (Invalid),
	// such as a bad user ID, client ID or device info.
	ErrInvalidInput = errors.New("adminapi: invalid input")
	// ErrStatusUnchanged: setDisabledStatus asked for the status the user
	// already has (Invalid / InvalidAccountStatusTransition, e.g.
	// "disabled -> disabled"). Authgear treats that as an error, so a
	// caller retrying a disable can take it as done.
	ErrStatusUnchanged = errors.New("adminapi: account status already as requested")
	// ErrPasswordPolicy: the password breaks the project's password policy
	// (Invalid / PasswordPolicyViolated); PasswordPolicyViolations says which
	// rules. Nothing was created or changed.
	ErrPasswordPolicy = errors.New("adminapi: password policy violated")
	// ErrUserExists: createUser was given a login ID that an existing user
	// holds once normalised (Invalid / InvariantViolated, DuplicatedIdentity).
	ErrUserExists = errors.New("adminapi: a user with this login ID already exists")
	// ErrHookDisallowed: a blocking webhook of the project refused the
	// operation (Forbidden / HookDisallowed).
	ErrHookDisallowed = errors.New("adminapi: refused by a blocking webhook")
	// ErrSessionNotFound: revokeSession on a session that no longer exists.
	// Authgear answers it with a bare "unexpected error" that carries no
	// extensions, so RevokeSession reports that answer, and only it, as
	// ErrSessionNotFound: a caller that knows the session existed can take
	// it as already revoked.
	ErrSessionNotFound = errors.New("adminapi: session not found (or another unexplained server error)")
)

// GraphQLError is one entry of a GraphQL response's errors array, with
// Authgear's extensions. Validation errors have no ErrorName.
type GraphQLError struct {
	Message   string         // human-readable message from the server
	Path      []string       // the field path, e.g. ["createSession"]
	ErrorName string         // extensions.errorName, e.g. "Invalid"
	Reason    string         // extensions.reason, e.g. "GetUsersInvalidArgument"
	Info      map[string]any // extensions.info, when present
}

func (e *GraphQLError) Error() string {
	var b strings.Builder
	b.WriteString("adminapi: graphql: ")
	b.WriteString(e.Message)
	if e.ErrorName != "" || e.Reason != "" {
		fmt.Fprintf(&b, " (%s/%s)", e.ErrorName, e.Reason)
	}
	return b.String()
}

// Is maps Authgear's error names and reasons to the sentinel errors.
func (e *GraphQLError) Is(target error) bool {
	switch target {
	case ErrInvalidLoginID:
		return e.ErrorName == "Invalid" && e.Reason == "GetUsersInvalidArgument"
	case ErrCreateSessionDisabled:
		return e.ErrorName == "Forbidden" && e.Message == "CreateSession is disabled"
	case ErrUserNotFound:
		return e.ErrorName == "NotFound" && e.Reason == "UserNotFound"
	case ErrStatusUnchanged:
		return e.ErrorName == "Invalid" && e.Reason == "InvalidAccountStatusTransition"
	case ErrPasswordPolicy:
		return e.ErrorName == "Invalid" && e.Reason == "PasswordPolicyViolated"
	case ErrUserExists:
		return e.ErrorName == "Invalid" && e.Reason == "InvariantViolated" && infoCauseKind(e.Info) == "DuplicatedIdentity"
	case ErrHookDisallowed:
		return e.ErrorName == "Forbidden" && e.Reason == "HookDisallowed"
	case ErrInvalidInput:
		return e.ErrorName == "Invalid"
	case ErrTransient:
		return e.ErrorName == "InternalError" || e.ErrorName == "ServiceUnavailable"
	}
	return false
}

// GraphQLErrors is the whole errors array of one response. errors.Is and
// errors.As look at every entry.
type GraphQLErrors []*GraphQLError

func (es GraphQLErrors) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Message
	}
	return "adminapi: graphql: " + strings.Join(msgs, "; ")
}

// Unwrap exposes every entry to errors.Is and errors.As.
func (es GraphQLErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// HTTPError is an answer with a status other than 200. Authgear sends 403
// as plain text, and other failures in the {"error": {...}} envelope, whose
// fields are copied here when present.
type HTTPError struct {
	StatusCode int
	Name       string         // envelope error.name, e.g. "BadRequest"
	Reason     string         // envelope error.reason, e.g. "InvalidJSON"
	Message    string         // envelope error.message, or the plain-text body
	Info       map[string]any // envelope error.info
	// RetryAfter is the answer's Retry-After header as sent (seconds or an
	// HTTP date), "" without one; a 429 or 503 may carry it.
	RetryAfter string
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("adminapi: HTTP %d", e.StatusCode)
	if e.Name != "" {
		msg += fmt.Sprintf(" %s/%s", e.Name, e.Reason)
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is reports 403 as ErrForbidden, 5xx and 429 as ErrTransient, and a
// TaskNotFound answer as ErrImportJobNotFound.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrForbidden:
		return e.StatusCode == 403
	case ErrTransient:
		return e.StatusCode >= 500 || e.StatusCode == 429
	case ErrImportJobNotFound:
		return e.StatusCode == 404 && e.Reason == "TaskNotFound"
	}
	return false
}

// TransportError is a failure to get any answer: the connection was refused
// or dropped, or the request timed out. It is always transient.
type TransportError struct {
	Op  string // what was being done, e.g. "POST /_api/admin/graphql"
	Err error
}

func (e *TransportError) Error() string { return "adminapi: " + e.Op + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// Is reports every transport failure as ErrTransient.
func (e *TransportError) Is(target error) bool { return target == ErrTransient }

// IsTransient reports whether err is worth retrying.
func IsTransient(err error) bool {
	if errors.Is(err, ErrTransient) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
