package webhook_test

import (
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/webhook"
)

// The event's own timestamp is the only freshness a delivery has, and it
// is read from a signed body an attacker can only replay, or a buggy
// sender can get wrong: the extremes of int64 must be refused as stale
// (not overflow into the window), and anything but an integer as
// malformed, without calling the application.
func TestAttackExtremeTimestamps(t *testing.T) {
	const recordedTS = "1795850479"
	for _, c := range []struct {
		ts     string
		status int
		want   error
	}{
		{"9223372036854775807", 403, webhook.ErrStale},
		{"9223372036854775", 403, webhook.ErrStale},
		{"1", 403, webhook.ErrStale},
		{"-9223372036854775808", 400, webhook.ErrMalformed},
		{"0", 400, webhook.ErrMalformed},
		{"9223372036854775808", 400, webhook.ErrMalformed},
		{"1.79585047e9", 400, webhook.ErrMalformed},
		{`"` + recordedTS + `"`, 400, webhook.ErrMalformed},
		{"null", 400, webhook.ErrMalformed},
	} {
		t.Run(c.ts, func(t *testing.T) {
			w := newWorld(t, nil)
			if !strings.Contains(w.rec.Body, `"timestamp":`+recordedTS) {
				t.Skip("the recorded body's timestamp is not where this test looks")
			}
			body := []byte(strings.Replace(w.rec.Body, `"timestamp":`+recordedTS, `"timestamp":`+c.ts, 1))
			status, out := post(t, w.h, body, webhook.Sign(w.rec.secret, body))
			if status != c.status || out["error"] != c.want.Error() {
				t.Errorf("status %d %v, want %d %q", status, out, c.status, c.want)
			}
			if n := len(w.sink.got()); n != 0 {
				t.Errorf("app called %d times", n)
			}
		})
	}
}
