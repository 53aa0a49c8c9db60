package agmigrate_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// Authgear (graphql-go) and gateways echo a bad variable in the syntax of
// their message: GraphQL and JSON escape quotes and backslashes, and may
// write non-ASCII as \u escapes. A password holding such characters is
// then in the error escaped, not as typed, and a plain byte search for it
// misses: the password reached the error, the observer's event and the
// log. Every spelling of the password an error is likely to hold must be
// withheld.
func TestAttackCaptureEscapedPasswordEcho(t *testing.T) {
	const secret = `Sup3r"Secret\Pässwörd`
	jsonInner := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b[1 : len(b)-1])
	}
	asciiInner := func(s string) string {
		q := strconv.QuoteToASCII(s)
		return q[1 : len(q)-1]
	}
	for _, echo := range []struct{ name, value string }{
		{"GraphQL/JSON escaped", jsonInner(secret)},
		{"ASCII escaped", asciiInner(secret)},
	} {
		t.Run(echo.name, func(t *testing.T) {
			w := newWorld(t, authgeartest.Options{})
			w.fake.AddUser(authgeartest.User{Email: "echo@example.com"})
			c, logs := w.capturer(agmigrate.CaptureConfig{Session: true}, func(cfg *agmigrate.Config) { cfg.Retries = -1 })
			w.fake.SetFault("resetPassword", authgeartest.Fault{Times: 1, GraphQLError: &authgeartest.GraphQLError{
				Message: `Variable "$password" got invalid value "` + echo.value + `"`, ErrorName: "Invalid", Reason: "ValidationFailed"}})
			_, err := c.CapturePassword(context.Background(), "email", "echo@example.com", []byte(secret))
			if err == nil || !errors.Is(err, agmigrate.ErrAdminAPI) {
				t.Fatalf("err %v, want ErrAdminAPI", err)
			}
			leaks := func(s string) bool {
				return strings.Contains(s, secret) || strings.Contains(s, echo.value) || strings.Contains(s, "Secret")
			}
			if leaks(err.Error()) || leaks(fmt.Sprintf("%+v %#v", err, err)) {
				t.Errorf("the error holds the password: %v", err)
			}
			for _, ev := range w.events.l {
				if ev.Err != nil && leaks(ev.Err.Error()) {
					t.Errorf("event %v holds the password: %v", ev.Outcome, ev.Err)
				}
			}
			if out := logs.String(); leaks(out) {
				t.Errorf("the password is in the logs:\n%s", out)
			}
		})
	}
}
