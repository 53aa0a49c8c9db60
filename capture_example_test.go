package agmigrate_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// captureMiddleware is a middleware on a fake Authgear holding alice,
// imported without a password.
func captureMiddleware(ctx context.Context, fake *authgeartest.Server) (*agmigrate.Middleware, func()) {
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	ag, _ := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	secret := []byte("a home-grown system's HMAC secret, 32+ bytes")
	legacy, _ := verifier.NewJWT(ctx, verifier.HS256(secret, "https://legacy.example.com", "web"))
	mw, err := agmigrate.New(agmigrate.Config{Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"}})
	if err != nil {
		panic(err)
	}
	return mw, ag.Close
}

// A legacy login handler calls CapturePassword once the legacy system
// accepted the password: a user without a password in Authgear gets it.
func ExampleCapturer_CapturePassword() {
	ctx := context.Background()
	fake := authgeartest.NewServer(authgeartest.Options{})
	defer fake.Close()
	mw, done := captureMiddleware(ctx, fake)
	defer done()
	capt, _ := agmigrate.NewCapturer(mw, agmigrate.CaptureConfig{Verified: emailConfirmed})

	password := []byte("correct horse battery")
	res, err := capt.CapturePassword(ctx, "email", "alice@example.com", password)
	clear(password)
	fmt.Println(res.Outcome, err, fake.CheckPassword("alice@example.com", "correct horse battery"))

	// A password Authgear has is never replaced.
	res, _ = capt.CapturePassword(ctx, "email", "alice@example.com", []byte("another password"))
	fmt.Println(res.Outcome, fake.CheckPassword("alice@example.com", "another password"))

	// A password below the project's policy is refused, with the rules.
	fake.AddUser(authgeartest.User{Email: "bob@example.com"})
	_, err = capt.CapturePassword(ctx, "email", "bob@example.com", []byte("abc"))
	var pe *agmigrate.PasswordPolicyError
	fmt.Println(errors.As(err, &pe), pe.Violations[0].Name)
	// Output:
	// set <nil> true
	// kept false
	// true PasswordTooShort
}

// Handler wraps a legacy login handler that answers 200 on success and
// 401 otherwise; only a successful sign-in is captured.
func ExampleCapturer_Handler() {
	ctx := context.Background()
	fake := authgeartest.NewServer(authgeartest.Options{})
	defer fake.Close()
	mw, done := captureMiddleware(ctx, fake)
	defer done()
	capt, _ := agmigrate.NewCapturer(mw, agmigrate.CaptureConfig{Verified: emailConfirmed})

	legacyLogin := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("email") == "alice@example.com" && r.FormValue("password") == "correct horse battery" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
	h, err := capt.Handler(agmigrate.CaptureForm{Succeeded: agmigrate.StatusIs(http.StatusOK)}, legacyLogin)
	if err != nil {
		panic(err)
	}
	for _, pw := range []string{"a wrong guess", "correct horse battery"} {
		form := url.Values{"email": {"alice@example.com"}, "password": {pw}}.Encode()
		r := httptest.NewRequest("POST", "/login", strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		fmt.Println(rec.Code, fake.CheckPassword("alice@example.com", pw))
	}
	// Output:
	// 401 false
	// 200 true
}

// emailConfirmed answers from the legacy system's own record whether the
// account confirmed its address (here every example account has).
func emailConfirmed(_ context.Context, key, loginID string) (bool, error) {
	confirmed := map[string]bool{"alice@example.com": true, "bob@example.com": true}
	return key == "email" && confirmed[loginID], nil
}
