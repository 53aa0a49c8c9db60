package agmigrate_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// At the legacy system's logout, the app spends the legacy token: it led to
// one Authgear session, and from now on it leads to none (401 "sign in
// again"), in every replica sharing the store.
func ExampleMiddleware_EndLegacySession() {
	ctx := context.Background()
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	ag, _ := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	defer ag.Close()
	secret := []byte("a home-grown system's HMAC secret, 32+ bytes")
	legacy, _ := verifier.NewJWT(ctx, verifier.HS256(secret, "https://legacy.example.com", "web"))
	mw, _ := agmigrate.New(agmigrate.Config{Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.HeaderExtractor{Name: "X-Legacy-Token"}, Delivery: agmigrate.Headers{}})
	h := mw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	token := signHS256(secret, map[string]any{
		"iss": "https://legacy.example.com", "aud": "web", "email": "alice@example.com", "email_verified": true, "exp": 1 << 40})
	present := func() int {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("X-Legacy-Token", token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}

	fmt.Println("before:", present())
	mw.EndLegacySession(ctx, token) // the legacy system's logout handler calls this
	fmt.Println("after:", present())
	fmt.Println("sessions created:", fake.Calls("createSession"))
	// Output:
	// before: 200
	// after: 401
	// sessions created: 1
}
