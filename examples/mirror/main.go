// Command mirror keeps a legacy user store in step with Authgear during a
// migration: users who sign up at Authgear get a legacy record, so an
// older app version that still reads the legacy system finds them.
//
// Point a non-blocking webhook of the Authgear project (events user.created,
// user.profile.updated, user.disabled, user.reenabled, user.deleted) at
// /hooks/authgear, and optionally a blocking user.pre_create one (answered
// {"is_allowed": true}). Authgear sends each non-blocking event once and
// never retries, so a reconciliation pass runs every RECONCILE_EVERY
// through the Admin API to mirror users whose delivery was lost.
//
//	AUTHGEAR_WEBHOOK_SECRET=<the portal's webhook signature secret> \
//	AUTHGEAR_ENDPOINT=https://myapp.authgear.cloud AUTHGEAR_PROJECT_ID=myapp \
//	AUTHGEAR_ADMIN_KEY_FILE=admin-key.pem AUTHGEAR_ADMIN_KEY_ID=… \
//	AUTHGEAR_CLIENT_ID=… go run ./examples/mirror
//
// (The AUTHGEAR_* variables are read as every example and the agmigrate
// command read them; the client ID is not used here. Without them the
// webhook endpoint runs alone, with no reconciliation.)
//
// The legacy store here is a map; replace legacyStore with the old
// application's database.
package main

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/agmigrate/agmigrate/examples/internal/agenv"
	"github.com/agmigrate/agmigrate/webhook"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	store := newLegacyStore()
	app, err := newApp(os.Getenv, store, nil)
	if err != nil {
		log.Fatal(err)
	}
	every := 10 * time.Minute
	if v := os.Getenv("RECONCILE_EVERY"); v != "" {
		if every, err = time.ParseDuration(v); err != nil {
			log.Fatalf("RECONCILE_EVERY: %v", err)
		}
	}
	if app.reconcile != nil {
		go func() {
			for {
				if rep, err := app.reconcile(ctx); err != nil {
					log.Printf("reconcile: %v", err)
				} else {
					log.Printf("reconcile: %d users checked, %d mirrored, %d failed", rep.Scanned, rep.Mirrored, rep.FailedCount)
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(every):
				}
			}
		}()
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	srv := &http.Server{Addr: addr, Handler: app.mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Shutdown(context.Background()) }()
	log.Printf("webhook endpoint on http://%s/hooks/authgear", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// app is the wired example: the webhook endpoint and, when the Admin API
// is configured, a reconciliation pass that resumes where the last one
// stopped.
type app struct {
	mux       *http.ServeMux
	reconcile func(ctx context.Context) (*webhook.ReconcileReport, error)
}

// newApp wires the example from the environment. now may be nil.
func newApp(env func(string) string, store *legacyStore, now func() time.Time) (*app, error) {
	secret := env("AUTHGEAR_WEBHOOK_SECRET")
	if secret == "" {
		return nil, errors.New("mirror: AUTHGEAR_WEBHOOK_SECRET is required (the portal shows it with the webhook settings)")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	h, err := webhook.New(webhook.Config{
		Secret:  []byte(secret),
		OnEvent: store.Mirror,
		Now:     now,
		Logger:  logger,
	})
	if err != nil {
		return nil, err
	}
	a := &app{mux: http.NewServeMux()}
	a.mux.Handle("POST /hooks/authgear", h)

	settings, ok, why, err := agenv.Read(env)
	if err != nil {
		return nil, err
	}
	if !ok {
		logger.Info("mirror: no reconciliation pass", "why", why)
		return a, nil
	}
	admin, err := settings.Admin(nil)
	if err != nil {
		return nil, err
	}
	// The cursor lives in memory here; a real app keeps it in its
	// database so a restart resumes instead of starting over.
	var mu sync.Mutex
	cursor := ""
	a.reconcile = func(ctx context.Context) (*webhook.ReconcileReport, error) {
		mu.Lock()
		defer mu.Unlock()
		rep, err := webhook.Reconcile(ctx, webhook.ReconcileConfig{
			Users: admin, Exists: store.Exists, Mirror: store.Mirror, After: cursor, Now: now,
		})
		if rep != nil {
			cursor = rep.Cursor
		}
		return rep, err
	}
	return a, nil
}
