package agmigrate

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
)

// An Admin API 429 that says when to come back pauses the budget that
// long; one that does not falls back to RateLimitBackOff.
func TestAdmin429HonoursRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	cfg := &Config{RateLimitBackOff: 3 * time.Second, Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}
	g := newGovernor(cfg, 10*time.Second, binding("test"))
	for _, tc := range []struct {
		retryAfter string
		want       time.Duration
	}{
		{"120", 2 * time.Minute},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"", 3 * time.Second},
		{"soon", 3 * time.Second},
	} {
		err := g.rateLimited(context.Background(), CallAdminMutation, &adminapi.HTTPError{StatusCode: 429, RetryAfter: tc.retryAfter}, 0)
		var te *ThrottleError
		if !errors.As(err, &te) || te.RetryIn != tc.want {
			t.Errorf("Retry-After %q: %v, want a pause of %v", tc.retryAfter, err, tc.want)
		}
	}
}
