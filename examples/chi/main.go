// Command chi shows the agmigrate middleware in a go-chi app: every route
// accepts Authgear and legacy sessions, and /api routes require one. It is
// its own module so the library does not depend on chi.
//
// It runs on the fake Authgear with a home-grown HS256 legacy system, so
// `go run .` works with nothing configured; swap the verifiers and the
// admin client for real ones (see the quick start in the README).
package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

var legacySecret = []byte("chi example legacy secret, 32+ bytes")

func main() {
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	r, err := newRouter(context.Background(), fake)
	if err != nil {
		log.Fatal(err)
	}
	log.Println("listening on http://127.0.0.1:8080")
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", r))
}

func newRouter(ctx context.Context, fake *authgeartest.Server) (http.Handler, error) {
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	if err != nil {
		return nil, err
	}
	legacy, err := verifier.NewJWT(ctx, verifier.HS256(legacySecret, "https://legacy.example.com", "web"))
	if err != nil {
		return nil, err
	}
	optional, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"},
		Delivery:    agmigrate.Cookies{InsecureAllowHTTP: true}, // plain HTTP on localhost only
	})
	if err != nil {
		return nil, err
	}
	required, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"},
		Delivery:    agmigrate.Cookies{InsecureAllowHTTP: true},
		RequireAuth: true,
	})
	if err != nil {
		return nil, err
	}

	r := chi.NewRouter()
	r.Use(middleware.RequestID, middleware.Recoverer)
	r.With(optional.Handler).Get("/", func(w http.ResponseWriter, r *http.Request) {
		if id := agmigrate.IdentityFrom(r.Context()); id.Authenticated() {
			_, _ = w.Write([]byte("hello, " + id.UserID + "\n"))
			return
		}
		_, _ = w.Write([]byte("hello, stranger\n"))
	})
	r.Route("/api", func(r chi.Router) {
		r.Use(required.Handler) // 401 without a session
		r.Get("/profile", profile)
	})
	return r, nil
}

// profile is a protected route reading the identity.
func profile(w http.ResponseWriter, r *http.Request) {
	id := agmigrate.IdentityFrom(r.Context())
	out := map[string]any{"user_id": id.UserID, "via": id.Source.String()}
	if id.Claims != nil {
		out["roles"] = id.Claims.Roles
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}
