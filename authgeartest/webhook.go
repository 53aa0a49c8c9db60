package authgeartest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"
)

// Webhooks configures the project's hooks (authgear.yaml hook:, and the
// "webhook" secret). The zero value sends nothing.
type Webhooks struct {
	// Secret is the octets of the webhook key (what the portal shows);
	// every delivery carries X-Authgear-Body-Signature, the lowercase hex
	// HMAC-SHA256 of the raw body under it.
	Secret []byte
	// NonBlockingURL receives user.created, once, after the creating
	// request committed; the answer is ignored and nothing is retried.
	NonBlockingURL string
	// BlockingURL receives user.pre_create inside createUser and must
	// answer 2xx JSON {"is_allowed": bool, "title"?, "reason"?,
	// "mutations"?}.
	BlockingURL string
	// Client sends the deliveries. Default: a client with Authgear's
	// timeouts (5 s for a blocking hook, 60 s for a non-blocking one).
	Client *http.Client
}

// SetWebhooks replaces the hook configuration, as editing authgear.yaml
// does on a running server.
func (s *Server) SetWebhooks(w Webhooks) {
	s.mu.Lock()
	s.opts.Webhooks = w
	s.mu.Unlock()
}

// WaitWebhooks blocks until every non-blocking delivery started so far has
// been answered or has failed, so a test can assert on them without sleeping.
func (s *Server) WaitWebhooks() { s.hookWG.Wait() }

// Webhook envelope, fields in the order Authgear writes them.
type hookEvent struct {
	ID      string      `json:"id"`
	Seq     int         `json:"seq"`
	Type    string      `json:"type"`
	Payload hookPayload `json:"payload"`
	Context hookContext `json:"context"`
}

type hookPayload struct {
	User       hookUser       `json:"user"`
	Identities []hookIdentity `json:"identities"`
}

type hookUser struct {
	ID                 string         `json:"id"`
	CreatedAt          string         `json:"created_at"`
	UpdatedAt          string         `json:"updated_at"`
	IsAnonymous        bool           `json:"is_anonymous"`
	IsVerified         bool           `json:"is_verified"`
	IsDisabled         bool           `json:"is_disabled"`
	IsDeactivated      bool           `json:"is_deactivated"`
	IsAnonymized       bool           `json:"is_anonymized"`
	CanReauthenticate  bool           `json:"can_reauthenticate"`
	StandardAttributes map[string]any `json:"standard_attributes"`
	CustomAttributes   map[string]any `json:"custom_attributes"`
	XWeb3              map[string]any `json:"x_web3"`
	Roles              []string       `json:"roles"`
	Groups             []string       `json:"groups"`
}

type hookIdentity struct {
	ID        string         `json:"id"`
	CreatedAt string         `json:"created_at"`
	UpdatedAt string         `json:"updated_at"`
	Type      string         `json:"type"`
	UserID    string         `json:"user_id"`
	Claims    map[string]any `json:"claims"`
}

type hookContext struct {
	Timestamp          int64          `json:"timestamp"`
	UserID             string         `json:"user_id"`
	TriggeredBy        string         `json:"triggered_by"`
	AuditContext       map[string]any `json:"audit_context"`
	PreferredLanguages []string       `json:"preferred_languages"`
	Language           string         `json:"language"`
	IPAddress          string         `json:"ip_address"`
	GeoLocationCode    *string        `json:"geo_location_code"`
	AppID              string         `json:"app_id"`
	TrackingID         string         `json:"tracking_id"`
}

// eventBodyLocked builds and signs one delivery for user u.
func (ex *executor) eventBodyLocked(typ string, u *User) []byte {
	s := ex.s
	s.hookSeq++
	roles := append([]string{}, u.Roles...)
	var idents []hookIdentity
	for _, it := range u.identities() {
		id := it.(identityObj)
		idents = append(idents, hookIdentity{ID: id.uuid(), CreatedAt: datetime(u.CreatedAt), UpdatedAt: datetime(u.CreatedAt),
			Type: "login_id", UserID: u.ID, Claims: id.claims()})
	}
	if idents == nil {
		idents = []hookIdentity{}
	}
	custom := u.CustomAttributes
	if custom == nil {
		custom = map[string]any{}
	}
	ev := hookEvent{
		ID: fmt.Sprintf("%016x", s.hookSeq), Seq: s.hookSeq, Type: typ,
		Payload: hookPayload{User: hookUser{ID: u.ID, CreatedAt: datetime(u.CreatedAt), UpdatedAt: datetime(u.UpdatedAt),
			IsVerified: u.isVerified(), IsDisabled: u.Disabled, IsDeactivated: u.Deactivated, CanReauthenticate: u.canReauthenticate(),
			StandardAttributes: u.standardAttributes(), CustomAttributes: custom, XWeb3: map[string]any{},
			Roles: roles, Groups: []string{}}, Identities: idents},
		Context: hookContext{Timestamp: s.opts.Now().Unix(), UserID: u.ID, TriggeredBy: "admin_api",
			AuditContext: map[string]any{"http_url": s.URL + ex.r.URL.Path}, PreferredLanguages: []string{},
			Language: "en", IPAddress: s.clientIP(ex.r), AppID: s.opts.ProjectID, TrackingID: trackingID()},
	}
	b, _ := json.Marshal(ev)
	return b
}

func sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) post(ctx context.Context, hooks Webhooks, url string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Authgear-Body-Signature", sign(hooks.Secret, body))
	c := hooks.Client
	if c == nil {
		c = http.DefaultClient
	}
	return c.Do(req)
}

// runPreCreateHookLocked sends user.pre_create to the blocking hook and
// applies its answer: refusal, mutations of the standard attributes, or
// HookInvalidResponse for an answer outside the contract. The lock is let
// go while the hook answers, so a hook handler may call the fake.
func (ex *executor) runPreCreateHookLocked(u *User) *fieldErr {
	s := ex.s
	hooks := s.opts.Webhooks
	if hooks.BlockingURL == "" {
		return nil
	}
	now := s.opts.Now()
	probe := *u
	probe.CreatedAt, probe.UpdatedAt = now, now
	body := ex.eventBodyLocked("user.pre_create", &probe)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	resp, err := s.post(ctx, hooks, hooks.BlockingURL, body)
	var raw []byte
	if err == nil {
		raw, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
	}
	cancel()
	s.mu.Lock()
	if err != nil {
		return &fieldErr{msg: "failed to dispatch event", name: "InternalError", reason: "WebHookDeliveryUnknownFailure"}
	}
	invalidResponse := func(causes []any) *fieldErr {
		fe := &fieldErr{msg: "invalid response body", name: "InternalError", reason: "HookInvalidResponse"}
		if causes != nil {
			fe.info = map[string]any{"causes": causes}
		}
		return fe
	}
	var ans map[string]any
	if resp.StatusCode < 200 || resp.StatusCode > 299 || json.Unmarshal(raw, &ans) != nil || ans == nil {
		return invalidResponse(nil)
	}
	allowed, ok := ans["is_allowed"].(bool)
	if !ok {
		keys := make([]string, 0, len(ans))
		for k := range ans {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		causes := []any{map[string]any{"location": "", "kind": "required",
			"details": map[string]any{"actual": keys, "expected": []string{"is_allowed"}, "missing": []string{"is_allowed"}}}}
		for _, k := range keys {
			// Authgear's response schema is a oneOf of three shapes, each
			// refusing the unknown key once.
			for i := 0; i < 3; i++ {
				causes = append(causes, map[string]any{"location": "/" + k, "kind": ""})
			}
		}
		return invalidResponse(causes)
	}
	if !allowed {
		title, _ := ans["title"].(string)
		reason, _ := ans["reason"].(string)
		return &fieldErr{msg: "disallowed by hook event handler", name: "Forbidden", reason: "HookDisallowed",
			info: map[string]any{"event_type": "user.pre_create", "reasons": []any{map[string]any{"title": title, "reason": reason}}}}
	}
	if m, ok := ans["mutations"].(map[string]any); ok {
		if mu, ok := m["user"].(map[string]any); ok {
			if std, ok := mu["standard_attributes"].(map[string]any); ok {
				u.StandardAttributes = copyMap(std)
				for _, k := range []string{"email", "phone_number", "preferred_username", "updated_at"} {
					delete(u.StandardAttributes, k)
				}
			}
			if custom, ok := mu["custom_attributes"].(map[string]any); ok {
				u.CustomAttributes = copyMap(custom)
			}
		}
	}
	return nil
}

// userCreatedEventLocked prepares the user.created delivery; the returned
// function sends it, once, in the background, after the request commits.
func (ex *executor) userCreatedEventLocked(u *User) func() {
	s := ex.s
	hooks := s.opts.Webhooks
	if hooks.NonBlockingURL == "" {
		return func() {}
	}
	body := ex.eventBodyLocked("user.created", u)
	return func() {
		s.hookWG.Add(1)
		go func() {
			defer s.hookWG.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if resp, err := s.post(ctx, hooks, hooks.NonBlockingURL, body); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
}
