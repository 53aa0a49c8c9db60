// Command mobile serves the migration endpoint for mobile and single-page
// clients: the app sends its legacy token once and gets an Authgear
// session back, then talks to Authgear (and this API) with it.
//
// Authgear comes from the AUTHGEAR_* variables the agmigrate command reads
// (AUTHGEAR_ADMIN_URL too, for a self-hosted Authgear's admin listener);
// with none set it falls back to a fake Authgear holding alice@example.com,
// and says so. The legacy system's JWKS, issuer and audience are required:
//
//	AUTHGEAR_ENDPOINT=https://myapp.authgear.cloud AUTHGEAR_PROJECT_ID=myapp \
//	AUTHGEAR_ADMIN_KEY_FILE=admin-key.pem AUTHGEAR_ADMIN_KEY_ID=… AUTHGEAR_CLIENT_ID=… \
//	LEGACY_JWKS_URL=https://legacy.example.com/.well-known/jwks.json \
//	LEGACY_ISSUER=https://legacy.example.com LEGACY_AUDIENCE=mobile-app \
//	go run ./examples/mobile
//
// A client then calls:
//
//	POST /migrate
//	Authorization: Bearer <legacy token>
//	Content-Type: application/json
//
//	{"login_id": "alice@example.com", "device_info": <the Authgear SDK's device info>}
//
// Failed exchanges (an Admin API error, a user missing from Authgear) are
// logged on standard error.
package main

import (
	"context"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/examples/internal/agenv"
	"github.com/agmigrate/agmigrate/verifier"
)

func main() {
	h, closeAll, err := newHandler(context.Background(), settings{env: os.Getenv, log: os.Stderr})
	if err != nil {
		log.Fatal(err)
	}
	defer closeAll()
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	log.Printf("migration endpoint on http://%s/migrate", addr)
	log.Fatal(http.ListenAndServe(addr, h))
}

// settings are what the example takes from its surroundings.
type settings struct {
	env func(string) string // os.Getenv
	log io.Writer           // where logs go
}

func newHandler(ctx context.Context, s settings) (http.Handler, func(), error) {
	logger := slog.New(slog.NewTextHandler(s.log, nil))
	var closers []func()
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	fail := func(err error) (http.Handler, func(), error) { closeAll(); return nil, nil, err }

	ags, ok, why, err := agenv.Read(s.env)
	if err != nil {
		return fail(err)
	}
	var admin *adminapi.Client
	var endpoint, clientID string
	if ok {
		if admin, err = ags.Admin(nil); err != nil {
			return fail(err)
		}
		endpoint, clientID = ags.Endpoint, ags.ClientID
		logger.Info("mobile: using Authgear at " + ags.Describe())
	} else {
		fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
		closers = append(closers, fake.Close)
		fake.AddUser(authgeartest.User{Email: "alice@example.com"})
		admin, endpoint, clientID = fake.AdminClient(), fake.URL, "test-client"
		logger.Warn("mobile: using a fake Authgear at "+fake.URL+" holding alice@example.com", "why", why)
	}
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: endpoint})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, ag.Close)
	jwks, iss, aud := s.env("LEGACY_JWKS_URL"), s.env("LEGACY_ISSUER"), s.env("LEGACY_AUDIENCE")
	if jwks == "" || iss == "" || aud == "" {
		return fail(errors.New("mobile: set LEGACY_JWKS_URL, LEGACY_ISSUER and LEGACY_AUDIENCE to the legacy system's token settings"))
	}
	legacy, err := verifier.NewJWT(ctx, verifier.JWTConfig{JWKSURL: jwks, Issuer: iss, Audience: []string{aud}})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, legacy.Close)
	mw, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: admin, ClientID: clientID,
		// Mobile clients send the legacy token as a Bearer token, and keep
		// the tokens they get themselves.
		LegacyToken: agmigrate.HeaderExtractor{Name: "Authorization", Scheme: "Bearer"},
		Delivery:    agmigrate.Headers{},
		Logger:      logger,
	})
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /migrate", mw.MigrationEndpoint())
	return mux, closeAll, nil
}
