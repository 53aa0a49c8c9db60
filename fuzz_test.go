package agmigrate_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// FuzzHandler sends arbitrary headers and cookies through the middleware:
// never a panic, and never an exchange for a token that did not verify.
func FuzzHandler(f *testing.F) {
	w := newWorld(f, authgeartest.Options{})
	w.fake.AddUser(authgeartest.User{Email: "alice@example.com"})
	cfg := w.config()
	cfg.LegacyToken = agmigrate.ExtractorFunc(func(r *http.Request) string {
		if c, err := r.Cookie("legacy_session"); err == nil {
			return c.Value
		}
		return agmigrate.HeaderExtractor{Name: "X-Legacy", Scheme: ""}.Extract(r)
	})
	h := w.middleware(cfg).Handler(app)
	good := w.legacyToken("alice@example.com")
	f.Add("Bearer x", "legacy_session="+good, "")
	f.Add("", "ag_access=chunks:3; ag_access.0=a; ag_refresh=x", good[:40])
	f.Add("Bearer "+good, "", "")
	f.Add("", "legacy_session=eyJhbGciOiJub25lIn0.eyJlbWFpbCI6ImFAYi5jIn0.", "")
	f.Fuzz(func(t *testing.T, authz, cookie, legacy string) {
		before := w.fake.Calls("getUserByLoginID")
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", authz)
		r.Header.Set("Cookie", cookie)
		r.Header.Set("X-Legacy", legacy)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if w.fake.Calls("getUserByLoginID") != before {
			// Fuzz workers are separate processes with their own world, so
			// the genuine token differs between them: what matters is that
			// the token verifies.
			lt := cfg.LegacyToken.Extract(r)
			if _, err := w.legacy.VerifyLegacy(context.Background(), lt); err != nil {
				t.Fatalf("an exchange started for a token that does not verify: %v", err)
			}
		}
		if rec.Code != 200 && rec.Code != 401 && rec.Code != 503 {
			t.Fatalf("status %d", rec.Code)
		}
	})
}
