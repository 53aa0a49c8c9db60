// Command passwordlogin is a login form for users who were not logged in
// at cut-over, once the legacy login is switched off: the typed password
// is checked against the user's exported legacy hash (a sidecar file
// written by `agmigrate import --from`, read by package passwords), then
// captured into Authgear (agmigrate.Capturer), and the user lands logged
// in at Authgear. From then on the user signs in at Authgear with the same
// password, and the sidecar entry is no longer needed.
//
// Authgear comes from the AUTHGEAR_* variables the agmigrate command reads;
// with none set it falls back to a fake Authgear holding the sidecar's
// users, imported without a password, and says so. SIDECAR_FILE names the
// sidecar (default: the sample, testdata/passwords/sidecar.jsonl, run from
// the repository root):
//
//	SIDECAR_FILE=users.hashes.jsonl go run ./examples/passwordlogin
//	curl -i -d email=wp@example.com -d password=test12345 http://127.0.0.1:8080/login
//
// Answers: 200 and the Authgear cookies when signed in; 401 for a wrong
// email or password (the same answer whether or not the email is known);
// 403 when the legacy password is below Authgear's password policy (the
// user must choose a new one at Authgear), or when the export says the
// address was never confirmed (it may be someone else's: the user resets
// the password at Authgear, which proves ownership); 503 when Authgear cannot be
// reached (the password was right: try again).
package main

import (
	"context"
	"encoding/json"
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
	"github.com/agmigrate/agmigrate/passwords"
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
	log.Printf("login form on http://%s/login", addr)
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

	path := s.env("SIDECAR_FILE")
	if path == "" {
		path = "testdata/passwords/sidecar.jsonl"
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	entries, err := passwords.ReadSidecar(f)
	f.Close()
	if err != nil {
		return fail(err)
	}
	sidecar := passwords.NewSidecar(entries)

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
		logger.Info("passwordlogin: using Authgear at " + ags.Describe())
	} else {
		// The sidecar's users, imported without a password, as
		// `agmigrate import --from` leaves the users whose hash Authgear
		// cannot take.
		fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
		closers = append(closers, fake.Close)
		for _, e := range entries {
			fake.AddUser(authgeartest.User{Email: e.LoginID})
		}
		admin, endpoint, clientID = fake.AdminClient(), fake.URL, "test-client"
		logger.Warn("passwordlogin: using a fake Authgear at "+fake.URL+" holding the sidecar's users", "why", why)
	}
	ag, err := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: endpoint})
	if err != nil {
		return fail(err)
	}
	closers = append(closers, ag.Close)
	mw, err := agmigrate.New(agmigrate.Config{
		Authgear: ag, Admin: admin, ClientID: clientID,
		// The legacy login is off, and this app issues no legacy
		// sessions: every legacy cookie is refused.
		Legacy: verifier.LegacyFunc(func(context.Context, string) (*verifier.LegacyIdentity, error) {
			return nil, verifier.Invalid(verifier.ErrInactive, "the legacy login is switched off")
		}),
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"},
		Delivery:    agmigrate.Cookies{InsecureAllowHTTP: !ok}, // plain HTTP only with the local fake
		Logger:      logger,
	})
	if err != nil {
		return fail(err)
	}
	capt, err := agmigrate.NewCapturer(mw, agmigrate.CaptureConfig{Session: true,
		// Only an address the export says was confirmed may set a password
		// at the Authgear account holding it.
		Verified: func(_ context.Context, key, loginID string) (bool, error) {
			e, found := sidecar.Lookup(key, loginID)
			return found && e.Verified, nil
		}})
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /login", login(sidecar, capt))
	mux.Handle("GET /", mw.Handler(http.HandlerFunc(whoami)))
	return mux, closeAll, nil
}

// login checks the typed password against the user's legacy hash, then
// captures it into Authgear and delivers the Authgear session.
func login(sidecar *passwords.Sidecar, capt *agmigrate.Capturer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		email := r.PostFormValue("email")
		// The form value is a Go string, which cannot be cleared; the
		// copy handed on can, and is, once the login is answered.
		password := []byte(r.PostFormValue("password"))
		defer clear(password)

		// Check takes as long for an unknown email as for a known one, so
		// the answer's timing does not tell who has a legacy hash.
		entry, ok, err := sidecar.Check("email", email, password)
		if err != nil || !ok {
			// Unknown email, wrong password, or a hash that cannot be
			// checked (ErrTooCostly, say: the operator's to fix): the same
			// answer for each.
			answer(w, http.StatusUnauthorized, "wrong email or password")
			return
		}
		// The login ID as the sidecar has it (what Authgear holds), not as
		// typed: the sidecar matches emails without regard to case.
		res, err := capt.CaptureRequest(r, entry.LoginIDKey, entry.LoginID, password)
		switch {
		case err == nil && res.Tokens != nil:
			capt.Deliver(w, r, res)
			answer(w, http.StatusOK, "signed in ("+res.Outcome.String()+")")
		case err == nil:
			// Captured, but no session (res.SessionErr): the user signs in
			// at Authgear with the same password.
			answer(w, http.StatusServiceUnavailable, "password saved; sign in again")
		case errors.Is(err, agmigrate.ErrPasswordPolicy):
			answer(w, http.StatusForbidden, "your password no longer meets the password rules; choose a new one")
		case errors.Is(err, agmigrate.ErrLoginIDUnverified):
			// The export says the address was never confirmed: it may be
			// someone else's. Authgear's own reset proves ownership.
			answer(w, http.StatusForbidden, "your address was never confirmed; reset your password to sign in")
		case errors.Is(err, agmigrate.ErrUserDisabled):
			answer(w, http.StatusForbidden, "the account is disabled")
		case errors.Is(err, agmigrate.ErrAdminAPI):
			answer(w, http.StatusServiceUnavailable, "try again shortly")
		default:
			// Missing from Authgear, or a login ID the identity rules
			// refuse: nothing to sign in to.
			answer(w, http.StatusUnauthorized, "wrong email or password")
		}
	})
}

func whoami(w http.ResponseWriter, r *http.Request) {
	id := agmigrate.IdentityFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"user": id.UserID, "source": id.Source.String()})
}

func answer(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
