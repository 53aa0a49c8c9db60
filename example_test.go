package agmigrate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/verifier"
)

// A legacy session cookie is exchanged for an Authgear session on the
// first request; the handler sees the Authgear user.
func ExampleMiddleware_Handler() {
	ctx := context.Background()
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	alice := fake.AddUser(authgeartest.User{Email: "alice@example.com"})

	ag, _ := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	defer ag.Close()
	secret := []byte("a home-grown system's HMAC secret, 32+ bytes")
	legacy, _ := verifier.NewJWT(ctx, verifier.HS256(secret, "https://legacy.example.com", "web"))

	mw, err := agmigrate.New(agmigrate.Config{
		Authgear:    ag,
		Legacy:      legacy,
		LegacyToken: agmigrate.CookieExtractor{Name: "legacy_session"},
		Admin:       fake.AdminClient(),
		ClientID:    "test-client",
	})
	if err != nil {
		panic(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := agmigrate.IdentityFrom(r.Context())
		fmt.Println(id.Source, id.UserID == alice)
	})
	h := mw.Handler(app)

	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: "legacy_session", Value: signHS256(secret, map[string]any{
		"iss": "https://legacy.example.com", "aud": "web", "email": "alice@example.com", "email_verified": true, "exp": 1 << 40})})
	h.ServeHTTP(httptest.NewRecorder(), r)
	fmt.Println("sessions created:", fake.Calls("createSession"))
	// Output:
	// exchanged true
	// sessions created: 1
}

// Mobile and single-page clients post their legacy token and get Authgear
// tokens back as JSON.
func ExampleMiddleware_MigrationEndpoint() {
	ctx := context.Background()
	fake := authgeartest.NewServer(authgeartest.Options{EnableCreateSession: true})
	defer fake.Close()
	fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	ag, _ := verifier.NewAuthgear(ctx, verifier.AuthgearConfig{Endpoint: fake.URL})
	defer ag.Close()
	secret := []byte("a home-grown system's HMAC secret, 32+ bytes")
	legacy, _ := verifier.NewJWT(ctx, verifier.HS256(secret, "https://legacy.example.com", "mobile"))
	mw, _ := agmigrate.New(agmigrate.Config{Authgear: ag, Legacy: legacy, Admin: fake.AdminClient(), ClientID: "test-client",
		LegacyToken: agmigrate.HeaderExtractor{Name: "Authorization", Scheme: "Bearer"}, Delivery: agmigrate.Headers{}})

	r := httptest.NewRequest("POST", "/migrate", strings.NewReader(`{"login_id":"alice@example.com"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+signHS256(secret, map[string]any{
		"iss": "https://legacy.example.com", "aud": "mobile", "email": "alice@example.com", "email_verified": true, "exp": 1 << 40}))
	rec := httptest.NewRecorder()
	mw.MigrationEndpoint().ServeHTTP(rec, r)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	fmt.Println(rec.Code, out["token_type"], out["expires_in"])
	// Output: 200 Bearer 1800
}
