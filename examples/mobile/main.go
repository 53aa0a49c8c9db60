// Command mobile serves the migration endpoint for mobile and single-page
// clients: the app sends its legacy token once and gets an Authgear
// session back, then talks to Authgear (and this API) with it.
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
package main

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/verifier"
)

func main() {
	h, err := newHandler(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	log.Printf("migration endpoint on http://%s/migrate", addr)
	log.Fatal(http.ListenAndServe(addr, h))
}

func newHandler(ctx context.Context) (http.Handler, error) {
	key, err := adminapi.LoadKeyFile(os.Getenv("AUTHGEAR_ADMIN_KEY_FILE"), os.Getenv("AUTHGEAR_ADMIN_KEY_ID"))
	if err != nil {
		return nil, err
	}
	endpoint := os.Getenv("AUTHGEAR_ENDPOINT")
	admin, err := adminapi.New(adminapi.Config{Endpoint: endpoint, ProjectID: os.Getenv("AUTHGEAR_PROJECT_ID"), Key: key})
	if err != nil {
		return nil, err
	}
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: endpoint})
	if err != nil {
		return nil, err
	}
	legacy, err := verifier.NewJWT(ctx, verifier.JWTConfig{
		JWKSURL:  os.Getenv("LEGACY_JWKS_URL"),
		Issuer:   os.Getenv("LEGACY_ISSUER"),
		Audience: []string{os.Getenv("LEGACY_AUDIENCE")},
	})
	if err != nil {
		return nil, err
	}
	mw, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: admin, ClientID: os.Getenv("AUTHGEAR_CLIENT_ID"),
		// Mobile clients send the legacy token as a Bearer token, and keep
		// the tokens they get themselves.
		LegacyToken: agmigrate.HeaderExtractor{Name: "Authorization", Scheme: "Bearer"},
		Delivery:    agmigrate.Headers{},
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /migrate", mw.MigrationEndpoint())
	return mux, nil
}
