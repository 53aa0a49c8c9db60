// Command chi shows the agmigrate middleware in a go-chi app: every route
// accepts Authgear and legacy sessions, and /api routes require one. It is
// its own module so the library does not depend on chi.
//
// Authgear comes from the AUTHGEAR_* variables the agmigrate command reads
// (AUTHGEAR_ENDPOINT, AUTHGEAR_ADMIN_URL for a self-hosted admin listener,
// AUTHGEAR_PROJECT_ID, AUTHGEAR_ADMIN_KEY_FILE, AUTHGEAR_ADMIN_KEY_ID,
// AUTHGEAR_CLIENT_ID). With none set, `go run .` uses the fake Authgear
// holding alice@example.com and says so. The legacy system is a home-grown
// HS256 one; swap its verifier for yours (see the quick start in the README).
package main

import (
	"context"
	"encoding/json"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/examples/internal/agenv"
	"github.com/agmigrate/agmigrate/verifier"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

var legacySecret = []byte("chi example legacy secret, 32+ bytes")

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ag, closeFn, err := connect(os.Getenv, logger, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer closeFn()
	r, err := newRouter(context.Background(), ag, logger)
	if err != nil {
		log.Fatal(err)
	}
	log.Println("listening on http://127.0.0.1:8080")
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", r))
}

// authgear is where the app's Authgear is.
type authgear struct {
	admin              *adminapi.Client
	endpoint, clientID string
}

// connect reads the AUTHGEAR_* variables, or starts the fake and logs why.
func connect(env func(string) string, logger *slog.Logger, adminHTTP *http.Client) (authgear, func(), error) {
	s, ok, why, err := agenv.Read(env)
	if err != nil {
		return authgear{}, nil, err
	}
	if ok {
		admin, err := s.Admin(adminHTTP)
		if err != nil {
			return authgear{}, nil, err
		}
		logger.Info("chi: using Authgear at " + s.Describe())
		return authgear{admin: admin, endpoint: s.Endpoint, clientID: s.ClientID}, func() {}, nil
	}
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	logger.Warn("chi: using a fake Authgear at "+fake.URL+" holding alice@example.com", "why", why)
	return authgear{admin: fake.AdminClient(), endpoint: fake.URL, clientID: "test-client"}, fake.Close, nil
}

func newRouter(ctx context.Context, a authgear, logger *slog.Logger) (http.Handler, error) {
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: a.endpoint})
	if err != nil {
		return nil, err
	}
	legacy, err := verifier.NewJWT(ctx, verifier.HS256(legacySecret, "https://legacy.example.com", "web"))
	if err != nil {
		return nil, err
	}
	optional, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: a.admin, ClientID: a.clientID,
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"},
		Delivery:    agmigrate.Cookies{InsecureAllowHTTP: true}, // plain HTTP on localhost only
		Logger:      logger,
	})
	if err != nil {
		return nil, err
	}
	required, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Legacy: legacy, Admin: a.admin, ClientID: a.clientID,
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"},
		Delivery:    agmigrate.Cookies{InsecureAllowHTTP: true},
		RequireAuth: true,
		Logger:      logger,
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
