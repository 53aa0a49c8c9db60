package agmigrate_test

// What password capture must never do: skip the governor's budget, or let
// the password out.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

func TestPasswordCaptureBudget(t *testing.T) {
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "first@example.com"})
	w.fake.AddUser(authgeartest.User{Email: "second@example.com"})
	c, _ := w.capturer(agmigrate.CaptureConfig{}, func(cfg *agmigrate.Config) {
		// One mutation a minute on a clock that does not move: the second
		// waits a minute, beyond QueueWait. Background work would wait on
		// instead of being refused: capture is interactive.
		cfg.AdminBudget = agmigrate.Budget{PerMinute: 1, Burst: 1}
		cfg.QueueWait = time.Millisecond
	})
	if _, err := c.CapturePassword(context.Background(), "email", "first@example.com", []byte(capturedPW)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.CapturePassword(ctx, "email", "second@example.com", []byte(capturedPW))
	var te *agmigrate.ThrottleError
	if res != nil || !errors.Is(err, agmigrate.ErrAdminAPI) || !errors.As(err, &te) || te.Reason != agmigrate.ReasonBudget {
		t.Fatalf("%+v, %v", res, err)
	}
	if n := w.fake.Calls("resetPassword"); n != 1 {
		t.Errorf("%d resetPassword calls", n)
	}
	last := w.events.l[len(w.events.l)-1]
	if last.Outcome != agmigrate.OutcomePasswordCaptureFailed || !last.Throttled {
		t.Errorf("event %+v", last)
	}
}

// The password shows in no log line, error or event, whatever happens,
// even when Authgear's own message echoes it.
func TestPasswordCaptureNeverLogsPassword(t *testing.T) {
	const secret = "Sup3r-Secret-Passw0rd"
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "set@example.com"})
	w.fake.AddUser(authgeartest.User{Email: "echo@example.com"})
	w.fake.AddUser(authgeartest.User{Email: "down@example.com"})
	dis := w.fake.AddUser(authgeartest.User{Email: "off@example.com"})
	w.fake.SetUserDisabled(dis, true)
	c, logs := w.capturer(agmigrate.CaptureConfig{Session: true}, func(cfg *agmigrate.Config) { cfg.Retries = -1 })
	var errs []error
	try := func(login, pw string) {
		_, err := c.CapturePassword(context.Background(), "email", login, []byte(pw))
		errs = append(errs, err)
	}
	try("set@example.com", secret)
	try("weak@example.com", "abc")
	try("off@example.com", secret)
	try("nobody@example.com", secret)
	try("ｅvil@example.com", secret)
	w.fake.SetFault("resetPassword", authgeartest.Fault{Times: 1, GraphQLError: &authgeartest.GraphQLError{
		Message: "Variable \"$password\" got invalid value \"" + secret + "\"", ErrorName: "Invalid", Reason: "ValidationFailed"}})
	try("echo@example.com", secret)
	w.fake.SetFault("graphql", authgeartest.Fault{Times: 1, Status: 503})
	try("down@example.com", secret)
	if errs[0] != nil || errs[5] == nil || errs[6] == nil {
		t.Fatalf("errors %v", errs)
	}
	if !errors.Is(errs[5], agmigrate.ErrAdminAPI) || !errors.Is(errs[5], adminapi.ErrInvalidInput) {
		t.Errorf("the withheld error lost its kind: %v", errs[5])
	}
	for i, err := range errs {
		if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", err, err), secret)) {
			t.Errorf("error %d holds the password: %v", i, err)
		}
	}
	for _, ev := range w.events.l {
		if ev.Err != nil && strings.Contains(ev.Err.Error(), secret) {
			t.Errorf("event %v holds the password", ev.Outcome)
		}
	}
	out := logs.String()
	if out == "" {
		t.Fatal("nothing logged")
	}
	if strings.Contains(out, secret) || strings.Contains(out, "abc\"") {
		t.Errorf("the password is in the logs:\n%s", out)
	}
}

// A transient failure whose message echoes the password opens the circuit
// breaker, which logs why: the message it logs is the withheld one.
func TestPasswordCaptureNeverLogsPasswordBreaker(t *testing.T) {
	const secret = "Br3aker-Secret-Passw0rd"
	w := newWorld(t, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "flaky@example.com"})
	c, logs := w.capturer(agmigrate.CaptureConfig{}, func(cfg *agmigrate.Config) { cfg.BreakerThreshold = 1 })
	w.fake.SetFault("resetPassword", authgeartest.Fault{Times: 1, GraphQLError: &authgeartest.GraphQLError{
		Message: "backend said: " + secret, ErrorName: "InternalError", Reason: "UnexpectedError"}})
	_, err := c.CapturePassword(context.Background(), "email", "flaky@example.com", []byte(secret))
	if !errors.Is(err, agmigrate.ErrAdminAPI) || !errors.Is(err, adminapi.ErrTransient) {
		t.Fatalf("%v", err)
	}
	out := logs.String()
	if !strings.Contains(out, "keeps failing") {
		t.Fatalf("the breaker did not log:\n%s", out)
	}
	if strings.Contains(out, secret) || strings.Contains(err.Error(), secret) {
		t.Errorf("the password is out:\n%s\n%v", out, err)
	}
}
