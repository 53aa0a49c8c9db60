package adminapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agmigrate/agmigrate/adminapi"
)

// A 429 (or 503) keeps the Retry-After it came with, so the caller can
// wait as long as Authgear asks: on GraphQL calls and on the import API.
func TestRetryAfterKept(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "42")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"error":{"name":"TooManyRequest","reason":"RateLimited","message":"rate limited","code":429}}`))
	}))
	defer srv.Close()
	c, err := adminapi.New(adminapi.Config{Endpoint: srv.URL, ProjectID: "myapp", Key: replayKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	_, gerr := c.GetUserByLoginID(context.Background(), "email", "alice@example.com")
	_, ierr := c.ImportJob(context.Background(), "userimport_x")
	for name, err := range map[string]error{"graphql": gerr, "import": ierr} {
		var he *adminapi.HTTPError
		if !errors.As(err, &he) || he.StatusCode != 429 || he.RetryAfter != "42" || !errors.Is(err, adminapi.ErrTransient) {
			t.Errorf("%s: %#v", name, err)
		}
	}
}
