package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Khan/genqlient/graphql"
)

// ErrInvalidConfig is wrapped by every error New returns.
var ErrInvalidConfig = errors.New("adminapi: invalid config")

// GraphQLPath is where Authgear serves the Admin API GraphQL endpoint.
const GraphQLPath = "/_api/admin/graphql"

// maxResponseBytes bounds what is read from any Admin API answer.
const maxResponseBytes = 8 << 20

// Config configures a Client.
type Config struct {
	// Endpoint is the project's public origin, e.g.
	// "https://myapp.authgear.cloud". Required. Tokens from createSession
	// carry the origin of the request that made them in iss and aud, so the
	// Admin API must be reached under this host.
	Endpoint string

	// AdminURL is the base URL of a separate admin listener (self-hosted
	// Authgear serves the Admin API on its own port, 3002 by default).
	// Requests go there with the Host header set to Endpoint's host.
	// Default: empty, the Admin API is reached at Endpoint.
	AdminURL string

	// ProjectID is the project (app) ID, e.g. "myapp": the audience of the
	// admin JWT. Required.
	ProjectID string

	// Key is the Admin API private key with its key ID. Required unless
	// Signer is set.
	Key *AdminKey

	// Signer makes the admin JWTs. Default: NewSigner(Key, ProjectID, 0).
	Signer *Signer

	// HTTPClient sends the requests. Default: a client with a 15 s timeout.
	// Per-call deadlines come from the context.
	HTTPClient *http.Client

	// UserAgent is sent with every request. Default: MarkerUserAgent
	// ("agmigrate-adminapi"). Authgear records it on the sessions
	// createSession makes until their first refresh; package revoke finds
	// sessions through agmigrate's session ledger and falls back to this
	// marker only for sessions from before the ledger, so a custom value
	// should start with MarkerUserAgent.
	UserAgent string

	// InsecureHTTP accepts http:// in Endpoint and AdminURL for hosts other
	// than loopback ones (127.0.0.0/8, ::1, localhost). The admin JWT and
	// every session created travel in clear over such a link: use it only
	// on a private network you trust. Default false: http:// only on
	// loopback.
	InsecureHTTP bool
}

// Client calls the Authgear Admin API. It implements graphql.Client, so the
// generated functions (GetUserByLoginID, CreateSession) take it directly.
// Safe for concurrent use.
type Client struct {
	base      *url.URL // where requests are sent
	host      string   // Host header; the public origin's host
	signer    *Signer
	http      *http.Client
	userAgent string
}

var _ graphql.Client = (*Client)(nil)

// New checks cfg and returns a Client. Every error wraps ErrInvalidConfig.
func New(cfg Config) (*Client, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	public, err := parseOrigin(cfg.Endpoint, cfg.InsecureHTTP)
	if err != nil {
		return nil, bad("Endpoint: %v", err)
	}
	base := public
	if cfg.AdminURL != "" {
		if base, err = parseOrigin(cfg.AdminURL, cfg.InsecureHTTP); err != nil {
			return nil, bad("AdminURL: %v", err)
		}
	}
	signer := cfg.Signer
	if signer == nil {
		if cfg.Key == nil {
			return nil, bad("Key or Signer is required")
		}
		if cfg.ProjectID == "" {
			return nil, bad("ProjectID is required (the project ID such as \"myapp\", not a URL)")
		}
		if strings.Contains(cfg.ProjectID, "://") {
			return nil, bad("ProjectID %q looks like a URL; it is the project ID such as \"myapp\"", cfg.ProjectID)
		}
		if signer, err = NewSigner(cfg.Key, cfg.ProjectID, 0); err != nil {
			return nil, bad("%v", err)
		}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	ua := cfg.UserAgent
	if ua == "" {
		ua = MarkerUserAgent
	}
	return &Client{base: base, host: public.Host, signer: signer, http: hc, userAgent: ua}, nil
}

// parseOrigin accepts an absolute https URL (http only for a loopback host,
// or with insecure) with no query or fragment and returns it with any
// trailing slash removed.
func parseOrigin(raw string, insecure bool) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q must not have credentials, a query or a fragment", raw)
	}
	if u.Scheme == "http" && !insecure && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%q is plain HTTP to a host that is not loopback: the admin key's tokens and the sessions would travel in clear; use https (or InsecureHTTP on a trusted private network)", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// IsLoopback reports whether host (a name or an IP address, without port
// or brackets) is this machine: "localhost" or a loopback address. Names
// under .localhost are not taken on trust: not every resolver keeps them
// on the machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ProjectID returns the project ID the client's admin JWTs are made for.
func (c *Client) ProjectID() string { return c.signer.projectID }

// Endpoint returns the public origin the client was configured with.
func (c *Client) Endpoint() string { return c.publicScheme() + "://" + c.host }

func (c *Client) publicScheme() string { return c.base.Scheme }

// do sends one authenticated request to path with an optional JSON body and
// returns the status, the body and the Retry-After header. Transport
// failures are *TransportError.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (int, []byte, string, error) {
	tok, err := c.signer.Token(ctx)
	if err != nil {
		return 0, nil, "", err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, rd)
	if err != nil {
		return 0, nil, "", fmt.Errorf("adminapi: %w", err)
	}
	req.Host = c.host
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	op := method + " " + path
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, "", &TransportError{Op: op, Err: stripURL(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, nil, "", &TransportError{Op: op, Err: err}
	}
	return resp.StatusCode, data, resp.Header.Get("Retry-After"), nil
}

// stripURL drops the *url.Error wrapper, whose message repeats the URL; the
// Op of the TransportError already says where the request went.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// httpError builds an *HTTPError from a non-200 answer: the {"error": …}
// envelope when the body is one, else the first line of the text body.
func httpError(status int, body []byte) *HTTPError {
	e := &HTTPError{StatusCode: status}
	var env struct {
		Error *struct {
			Name    string         `json:"name"`
			Reason  string         `json:"reason"`
			Message string         `json:"message"`
			Info    map[string]any `json:"info"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		e.Name, e.Reason, e.Message, e.Info = env.Error.Name, env.Error.Reason, env.Error.Message, env.Error.Info
		return e
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if len(line) > 200 {
		line = line[:200]
	}
	e.Message = line
	return e
}

// MakeRequest sends a GraphQL request, as graphql.Client requires. It
// returns *HTTPError for a non-200 answer, *TransportError when no answer
// came, and GraphQLErrors when the response carries errors (resp.Data is
// still filled with whatever data came with them).
func (c *Client) MakeRequest(ctx context.Context, req *graphql.Request, resp *graphql.Response) error {
	body, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("adminapi: encoding request: %w", err)
	}
	status, data, retryAfter, err := c.do(ctx, http.MethodPost, GraphQLPath, body)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		e := httpError(status, data)
		e.RetryAfter = retryAfter
		return e
	}
	return decodeGraphQL(data, resp)
}

// decodeGraphQL fills resp.Data from a 200 answer and turns its errors
// array into GraphQLErrors.
func decodeGraphQL(data []byte, resp *graphql.Response) error {
	var raw struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Path       []any  `json:"path"`
			Extensions struct {
				ErrorName string         `json:"errorName"`
				Reason    string         `json:"reason"`
				Info      map[string]any `json:"info"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("adminapi: malformed GraphQL response: %w", err)
	}
	if len(raw.Data) > 0 && string(raw.Data) != "null" && resp.Data != nil {
		if err := json.Unmarshal(raw.Data, resp.Data); err != nil {
			return fmt.Errorf("adminapi: GraphQL data does not match the operation: %w", err)
		}
	}
	if len(raw.Errors) == 0 {
		return nil
	}
	errs := make(GraphQLErrors, len(raw.Errors))
	for i, re := range raw.Errors {
		ge := &GraphQLError{
			Message:   re.Message,
			ErrorName: re.Extensions.ErrorName,
			Reason:    re.Extensions.Reason,
			Info:      re.Extensions.Info,
		}
		for _, p := range re.Path {
			ge.Path = append(ge.Path, fmt.Sprint(p))
		}
		errs[i] = ge
	}
	return errs
}
