package agmigrate

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/verifier"
)

// maxEndpointBody bounds the migration endpoint's request body.
const maxEndpointBody = 16 << 10

// MigrationEndpoint returns an http.Handler for mobile and single-page
// clients that migrate themselves: they POST with the legacy token in
// "Authorization: Bearer", and get the Authgear session as JSON:
//
//	{"access_token": "…", "refresh_token": "…", "token_type": "Bearer", "expires_in": 1800}
//
// The optional JSON body may say {"login_id": "…"} (it must equal the login
// ID verified from the token; it is never trusted on its own) and
// {"device_info": {…}} (the Authgear SDK's device info, shown in the user's
// session list). It uses the middleware's exchange and store, so a token
// exchanged here and presented to the middleware (or the other way round)
// gives one session.
//
// Errors are JSON {"error", "error_description"}: 400 malformed body, 401
// bad or missing legacy token (with WWW-Authenticate), 403 login ID
// mismatch or disabled user, 404 user not migrated to Authgear (also when
// the account Authgear finds holds another login ID: ErrLoginIDMismatch), 405 not
// POST, 413 body too large, 415 body not JSON, 503 Authgear unavailable
// (with Retry-After).
func (m *Middleware) MigrationEndpoint() http.Handler {
	return http.HandlerFunc(m.serveMigration)
}

func (m *Middleware) serveMigration(w http.ResponseWriter, r *http.Request) {
	start := m.now()
	ev := Event{}
	defer func() {
		ev.Duration = m.now().Sub(start)
		m.observe(r, ev)
	}()
	fail := func(status int, code, desc string) {
		ev.Outcome = OutcomeRefused
		writeJSONError(w, status, map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
		return
	}
	var body struct {
		LoginID    *string        `json:"login_id"`
		DeviceInfo map[string]any `json:"device_info"`
	}
	if r.ContentLength != 0 {
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			fail(http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json")
			return
		}
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEndpointBody))
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			fail(http.StatusRequestEntityTooLarge, "request_too_large", "the body is too large")
			return
		case err != nil:
			fail(http.StatusBadRequest, "invalid_request", "the body could not be read")
			return
		}
		if len(strings.TrimSpace(string(raw))) > 0 {
			dec := json.NewDecoder(strings.NewReader(string(raw)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil {
				fail(http.StatusBadRequest, "invalid_request", "the body is not the expected JSON object")
				return
			}
		}
	}
	lt := bearer(r)
	if lt == "" {
		ev.Outcome = OutcomeRefused
		writeAuthError(w, "", "the legacy token goes in Authorization: Bearer")
		return
	}
	if !m.cfg.SunsetAt.IsZero() && !m.now().Before(m.cfg.SunsetAt) {
		ev.Outcome = OutcomeRefused
		writeAuthError(w, "invalid_token", "legacy sessions are no longer accepted; sign in again")
		return
	}
	lid, err := m.cfg.Legacy.VerifyLegacy(r.Context(), lt)
	if err != nil {
		ev.Outcome, ev.Err = OutcomeRefused, err
		if errors.Is(err, verifier.ErrInvalidToken) {
			writeAuthError(w, "invalid_token", authDesc(err))
		} else {
			writeUnavailable(w, 5*time.Second, "the legacy token cannot be checked now")
		}
		return
	}
	ev.LoginID = lid.LoginID
	if body.LoginID != nil && !m.sameLoginID(lid.LoginIDKey, *body.LoginID, lid.LoginID) {
		fail(http.StatusForbidden, "login_id_mismatch", "the login ID does not match the token")
		return
	}
	if !m.cfg.Rollout.includes(lid, r) || m.cfg.Shadow {
		ev.Outcome = OutcomeNotRolledOut
		if m.cfg.Shadow {
			ev.Outcome, ev.Shadow = OutcomeShadow, m.shadowLookup(r.Context(), lt, lid)
		}
		writeJSONError(w, http.StatusNotFound, map[string]string{"error": "not_migrated", "error_description": "this account is not being migrated yet"})
		return
	}
	device := adminapi.DeviceInfo(body.DeviceInfo)
	if device == nil {
		device = m.cfg.DeviceInfo(r)
	}
	res, err := m.x.Exchange(withUserAgent(r.Context(), r.UserAgent()), lt, lid, device) // the client's User-Agent on any refresh it causes
	switch {
	case err == nil:
		ev.Outcome, ev.UserID, ev.Source = outcomeOf(res), res.UserID, SourceExchanged
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": res.Tokens.AccessToken, "refresh_token": res.Tokens.RefreshToken,
			"token_type": res.Tokens.TokenType, "expires_in": int(res.Tokens.ExpiresIn / time.Second),
		})
	case errors.Is(err, ErrUserMissing), errors.Is(err, ErrLoginIDMismatch):
		// A mismatch answers as a missing user: telling them apart would
		// confirm to the caller that a look-alike account exists.
		ev.Outcome = OutcomeUserMissing
		if errors.Is(err, ErrLoginIDMismatch) {
			ev.Outcome = OutcomeLoginIDMismatch
		}
		writeJSONError(w, http.StatusNotFound, map[string]string{"error": "user_not_migrated", "error_description": "no Authgear account for this user yet"})
	case errors.Is(err, ErrUserDisabled):
		ev.Outcome = OutcomeUserDisabled
		writeJSONError(w, http.StatusForbidden, map[string]string{"error": "user_disabled", "error_description": "the account is disabled"})
	case errors.Is(err, ErrSessionEnded):
		// The legacy token is spent: its session ended at Authgear.
		ev.Outcome = OutcomeSessionEnded
		writeAuthError(w, "invalid_token", "the session has ended; sign in again")
	case errors.Is(err, ErrThrottled):
		// Over budget, not broken: the client comes back when the
		// governor says, and keeps its legacy session meanwhile.
		ev.Outcome, ev.Err, ev.Throttled = OutcomeThrottled, err, true
		writeUnavailable(w, retryIn(err), "sign-in is being upgraded; keep the legacy session and try again")
	default:
		ev.Outcome, ev.Err = OutcomeAdminError, err
		m.logAdminError(err)
		writeUnavailable(w, m.retryAfter(), "Authgear is unavailable; keep the legacy session and try again")
	}
}

// sameLoginID compares a claimed login ID with the verified one, after the
// same normalisation, under Config.LoginIDMatch: the equality the exchange
// applies to the account Authgear finds. Never Unicode case folding, which
// takes the Kelvin sign for k.
func (m *Middleware) sameLoginID(key, claimed, verified string) bool {
	n, err := verifier.NormalizeLoginID(key, claimed)
	if err != nil {
		return false
	}
	return m.cfg.LoginIDMatch.Match(key, n, verified)
}
