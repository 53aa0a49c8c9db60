package webhook_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/agmigrate/agmigrate/webhook"
)

// A failing application function forgets the event ID, so a redelivery
// (by hand, or through the ops team's replay tooling) is handled. A
// panicking one is a failure too: net/http recovers it and drops the
// connection, and the ID must not stay claimed, or the redelivery is
// refused as a replay and the user is never mirrored until a
// reconciliation pass. The same holds for Allow on blocking events.
func TestAttackPanickingAppForgetsTheEvent(t *testing.T) {
	var panics atomic.Int32
	panicOnce := func() {
		if panics.Add(1) == 1 {
			panic("legacy mirror bug")
		}
	}
	w := newWorld(t, func(c *webhook.Config) {
		sink := c.OnEvent
		c.OnEvent = func(ctx context.Context, ev *webhook.Event) error {
			panicOnce()
			return sink(ctx, ev)
		}
		c.Allow = func(context.Context, *webhook.Event) (webhook.Decision, error) {
			panicOnce()
			return webhook.Decision{Allowed: true}, nil
		}
	})
	srv := httptest.NewUnstartedServer(w.h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the recovered panic's stack
	srv.Start()
	defer srv.Close()
	send := func(body []byte, sig string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		req.Header.Set(webhook.SignatureHeader, sig)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return 0 // the connection dropped by the panic
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	if got := send([]byte(w.rec.Body), w.rec.Signature); got == http.StatusOK {
		t.Fatalf("the panicking delivery answered %d", got)
	}
	if got := send([]byte(w.rec.Body), w.rec.Signature); got != http.StatusOK || len(w.sink.got()) != 1 {
		t.Errorf("redelivery after a panic: status %d, %d events handled; want 200 and 1", got, len(w.sink.got()))
	}

	panics.Store(0)
	body := preCreateBody(recordedTime, "00000000000000d1")
	sig := webhook.Sign(w.rec.secret, body)
	if got := send(body, sig); got == http.StatusOK {
		t.Fatalf("the panicking blocking delivery answered %d", got)
	}
	if got := send(body, sig); got != http.StatusOK {
		t.Errorf("blocking redelivery after a panic: status %d, want 200", got)
	}
}
