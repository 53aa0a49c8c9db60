package adminapi

import (
	"errors"
	"fmt"
)

// PolicyViolation is one password-policy rule a password broke, as
// Authgear reports it in extensions.info.causes, e.g. Name
// "PasswordTooShort" with Info {"min_length": 8, "pw_length": 3}.
type PolicyViolation struct {
	Name string
	Info map[string]any
}

func (v PolicyViolation) String() string {
	if len(v.Info) == 0 {
		return v.Name
	}
	return fmt.Sprintf("%s %v", v.Name, v.Info)
}

// PasswordPolicyViolations returns the rules a password broke when err is
// an ErrPasswordPolicy answer, and nil otherwise. The values Authgear
// reports are lengths and counts, never the password itself.
func PasswordPolicyViolations(err error) []PolicyViolation {
	ge := findGraphQLError(err, ErrPasswordPolicy)
	if ge == nil {
		return nil
	}
	causes, _ := ge.Info["causes"].([]any)
	out := make([]PolicyViolation, 0, len(causes))
	for _, c := range causes {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		// Authgear spells these keys with capitals (Go struct field names).
		name, _ := m["Name"].(string)
		info, _ := m["Info"].(map[string]any)
		out = append(out, PolicyViolation{Name: name, Info: info})
	}
	return out
}

// StatusTransition returns the account statuses of an ErrStatusUnchanged
// answer ("disabled", "normal", …), and ok false for any other error.
func StatusTransition(err error) (from, to string, ok bool) {
	ge := findGraphQLError(err, ErrStatusUnchanged)
	if ge == nil {
		return "", "", false
	}
	from, _ = ge.Info["from"].(string)
	to, _ = ge.Info["to"].(string)
	return from, to, true
}

// findGraphQLError returns the first *GraphQLError in err that matches
// target.
func findGraphQLError(err error, target error) *GraphQLError {
	var es GraphQLErrors
	if errors.As(err, &es) {
		for _, e := range es {
			if e.Is(target) {
				return e
			}
		}
		return nil
	}
	var ge *GraphQLError
	if errors.As(err, &ge) && ge.Is(target) {
		return ge
	}
	return nil
}

// infoCauseKind reads extensions.info.cause.kind, where Authgear says what
// kind of invariant an operation broke.
func infoCauseKind(info map[string]any) string {
	cause, _ := info["cause"].(map[string]any)
	kind, _ := cause["kind"].(string)
	return kind
}

// isBareUnexpected reports whether err is exactly the one-entry "unexpected
// error" answer with no extensions that Authgear gives for an internal
// failure it does not describe (revokeSession on a gone session).
func isBareUnexpected(err error) bool {
	var es GraphQLErrors
	if !errors.As(err, &es) || len(es) != 1 {
		return false
	}
	e := es[0]
	return e.Message == "unexpected error" && e.ErrorName == "" && e.Reason == ""
}
