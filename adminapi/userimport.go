package adminapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// ImportPath is where Authgear serves the User Import API.
const ImportPath = "/_api/admin/users/import"

// MaxImportBody is the largest request body the User Import API accepts
// (500 KB). Import splits records into several jobs to stay under it.
const MaxImportBody = 500 * 1000

// ErrImportJobNotFound: GET on an import job ID Authgear does not know
// (jobs are kept 24 hours).
var ErrImportJobNotFound = errors.New("adminapi: import job not found")

// Identifier names the record field that identifies a user in an import.
type Identifier string

// The identifiers the User Import API accepts.
const (
	IdentifierEmail    Identifier = "email"
	IdentifierPhone    Identifier = "phone_number"
	IdentifierUsername Identifier = "preferred_username"
)

// ImportRequest is one bulk import. Records may be any number: Import
// splits them into jobs under MaxImportBody.
type ImportRequest struct {
	Identifier Identifier
	// Upsert updates users that exist already; without it they are skipped.
	Upsert  bool
	Records []ImportRecord
	// Project describes the target project for validation (role and group
	// keys, login ID settings). It is not sent.
	Project ImportProject
}

// ImportJobRef names one job Import created and the records it carries:
// Records[Offset : Offset+Count] of the request.
type ImportJobRef struct {
	ID     string
	Offset int
	Count  int
}

// ImportBatch is what Import submitted: one job per request body.
type ImportBatch struct {
	Jobs []ImportJobRef
}

// ImportStatus is a job's state.
type ImportStatus string

// Job states as Authgear reports them.
const (
	ImportPending   ImportStatus = "pending"
	ImportCompleted ImportStatus = "completed"
)

// Outcome is what happened to one record.
type Outcome string

// Record outcomes.
const (
	OutcomeInserted Outcome = "inserted"
	OutcomeUpdated  Outcome = "updated"
	OutcomeSkipped  Outcome = "skipped"
	OutcomeFailed   Outcome = "failed"
)

// ImportJob is a job as GET /_api/admin/users/import/{id} reports it.
type ImportJob struct {
	ID          string         `json:"id"`
	CreatedAt   time.Time      `json:"created_at"`
	CompletedAt *time.Time     `json:"completed_at,omitempty"`
	Status      ImportStatus   `json:"status"`
	Error       *APIError      `json:"error,omitempty"`
	Summary     *ImportSummary `json:"summary,omitempty"`
	Details     []ImportDetail `json:"details,omitempty"`
}

// ImportSummary counts a job's outcomes.
type ImportSummary struct {
	Total    int `json:"total"`
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`
}

func (s *ImportSummary) add(o ImportSummary) {
	s.Total += o.Total
	s.Inserted += o.Inserted
	s.Updated += o.Updated
	s.Skipped += o.Skipped
	s.Failed += o.Failed
}

// ImportDetail is the outcome of one record. Index counts from 0 within the
// job; in an ImportReport it counts within the whole ImportRequest.
type ImportDetail struct {
	Index    int             `json:"index"`
	Record   json.RawMessage `json:"record"` // as echoed, password hashes REDACTED
	Outcome  Outcome         `json:"outcome"`
	UserID   string          `json:"user_id,omitempty"` // uuid, not a node ID
	Warnings []struct {
		Message string `json:"message"`
	} `json:"warnings,omitempty"`
	Errors []APIError `json:"errors,omitempty"`
}

// APIError is Authgear's REST error object.
type APIError struct {
	Name    string         `json:"name"`
	Reason  string         `json:"reason"`
	Message string         `json:"message"`
	Code    int            `json:"code"`
	Info    map[string]any `json:"info,omitempty"`
}

func (e APIError) Error() string {
	return fmt.Sprintf("adminapi: %s/%s: %s", e.Name, e.Reason, e.Message)
}

// ErrorCause is one precise reason inside an APIError: where in the record
// (a JSON pointer, "" for the record itself), what kind of problem
// ("format", "required", "RoleUnknownKeys", "DuplicatedIdentity", …), and
// Authgear's details as it sent them.
type ErrorCause struct {
	Location string         `json:"location"`
	Kind     string         `json:"kind"`
	Details  map[string]any `json:"details,omitempty"`
}

// Causes returns the reasons Authgear gave in the error's info: the schema
// causes of ValidationFailed, the unknown keys of RoleUnknownKeys and
// GroupUnknownKeys, the login ID field of DuplicatedIdentity. Errors without
// such detail (an InternalError) have none.
func (e APIError) Causes() []ErrorCause {
	var out []ErrorCause
	if list, ok := e.Info["causes"].([]any); ok {
		for _, c := range list {
			m, ok := c.(map[string]any)
			if !ok {
				continue
			}
			ec := ErrorCause{}
			ec.Location, _ = m["location"].(string)
			ec.Kind, _ = m["kind"].(string)
			ec.Details, _ = m["details"].(map[string]any)
			out = append(out, ec)
		}
	}
	switch e.Reason {
	case KindRoleUnknownKeys, KindGroupUnknownKeys:
		loc := "/roles"
		if e.Reason == KindGroupUnknownKeys {
			loc = "/groups"
		}
		out = append(out, ErrorCause{Location: loc, Kind: e.Reason, Details: map[string]any{"keys": e.Info["keys"]}})
	}
	if c, ok := e.Info["cause"].(map[string]any); ok {
		kind, _ := c["kind"].(string)
		t, _ := e.Info["LoginIDTypeIncoming"].(string)
		out = append(out, ErrorCause{Location: loginIDLocation[t], Kind: kind})
	}
	return out
}

// loginIDLocation maps Authgear's login ID types to the record fields.
var loginIDLocation = map[string]string{"email": "/email", "phone": "/phone_number", "username": "/preferred_username"}

// ImportReport gathers the finished jobs of a batch.
type ImportReport struct {
	Jobs    []*ImportJob
	Summary ImportSummary
	Details []ImportDetail // Index is the position in ImportRequest.Records
}

// Import validates every record (see ValidateImport) and submits them,
// split into as many jobs as MaxImportBody requires. Nothing is sent when
// any record is invalid: the error is an *InvalidRecordsError. When a later
// job fails to submit, the batch returned holds the jobs already created,
// so the caller can wait for them and resume from the next offset.
func (c *Client) Import(ctx context.Context, req ImportRequest) (*ImportBatch, error) {
	if problems := ValidateImport(req); len(problems) > 0 {
		return nil, &InvalidRecordsError{Problems: problems}
	}
	bodies, err := splitImport(req)
	if err != nil {
		return nil, err
	}
	batch := &ImportBatch{}
	for _, b := range bodies {
		job, err := c.postImport(ctx, b.body)
		if err != nil {
			return batch, err
		}
		batch.Jobs = append(batch.Jobs, ImportJobRef{ID: job.ID, Offset: b.offset, Count: b.count})
	}
	return batch, nil
}

// ImportChunk is one job's share of a request: Records[Offset:Offset+Count].
type ImportChunk struct {
	Offset, Count int
}

// PlanImport splits req the way Import does, without sending anything. The
// split depends only on the request, so a tool that submits chunks one by
// one (SubmitImport) can resume after an interruption.
func PlanImport(req ImportRequest) ([]ImportChunk, error) {
	bodies, err := splitImport(req)
	if err != nil {
		return nil, err
	}
	out := make([]ImportChunk, len(bodies))
	for i, b := range bodies {
		out[i] = ImportChunk{Offset: b.offset, Count: b.count}
	}
	return out, nil
}

// SubmitImport validates req and submits it as one job; it must fit in
// MaxImportBody (use PlanImport to split larger requests).
func (c *Client) SubmitImport(ctx context.Context, req ImportRequest) (*ImportJob, error) {
	if problems := ValidateImport(req); len(problems) > 0 {
		return nil, &InvalidRecordsError{Problems: problems}
	}
	bodies, err := splitImport(req)
	if err != nil {
		return nil, err
	}
	if len(bodies) != 1 {
		return nil, fmt.Errorf("adminapi: %d records need %d jobs under the %d-byte limit; submit them chunk by chunk", len(req.Records), len(bodies), MaxImportBody)
	}
	return c.postImport(ctx, bodies[0].body)
}

func (c *Client) postImport(ctx context.Context, body []byte) (*ImportJob, error) {
	status, data, retryAfter, err := c.do(ctx, http.MethodPost, ImportPath, body)
	if err != nil {
		return nil, err
	}
	job, err := decodeJob(status, data)
	return job, keepRetryAfter(err, retryAfter)
}

// ImportJob fetches the state of one import job.
func (c *Client) ImportJob(ctx context.Context, id string) (*ImportJob, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: empty ID", ErrImportJobNotFound)
	}
	status, data, retryAfter, err := c.do(ctx, http.MethodGet, ImportPath+"/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	job, err := decodeJob(status, data)
	return job, keepRetryAfter(err, retryAfter)
}

func decodeJob(status int, data []byte) (*ImportJob, error) {
	if status != http.StatusOK {
		return nil, httpError(status, data)
	}
	var env struct {
		Result *ImportJob `json:"result"`
		Error  *APIError  `json:"error"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("adminapi: malformed import response: %w", err)
	}
	if env.Error != nil {
		return nil, &HTTPError{StatusCode: status, Name: env.Error.Name, Reason: env.Error.Reason, Message: env.Error.Message, Info: env.Error.Info}
	}
	if env.Result == nil || env.Result.ID == "" {
		return nil, errors.New("adminapi: import response without a result")
	}
	return env.Result, nil
}

// WaitImportJob polls a job every interval (1 s when 0) until it completes
// or ctx ends. Transient failures while polling are retried.
func (c *Client) WaitImportJob(ctx context.Context, id string, interval time.Duration) (*ImportJob, error) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		job, err := c.ImportJob(ctx, id)
		switch {
		case err == nil && job.Status == ImportCompleted:
			return job, nil
		case err != nil && !IsTransient(err):
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("adminapi: waiting for import job %s: %w", id, ctx.Err())
		case <-t.C:
		}
	}
}

// WaitImport waits for every job of a batch and merges their outcomes,
// with each detail's Index mapped back to the request's records.
func (c *Client) WaitImport(ctx context.Context, b *ImportBatch, interval time.Duration) (*ImportReport, error) {
	rep := &ImportReport{}
	for _, ref := range b.Jobs {
		job, err := c.WaitImportJob(ctx, ref.ID, interval)
		if err != nil {
			return rep, err
		}
		rep.Jobs = append(rep.Jobs, job)
		if job.Summary != nil {
			rep.Summary.add(*job.Summary)
		}
		for _, d := range job.Details {
			d.Index += ref.Offset
			rep.Details = append(rep.Details, d)
		}
	}
	return rep, nil
}

type importBody struct {
	body          []byte
	offset, count int
}

// splitImport packs records greedily into bodies of at most MaxImportBody
// bytes, keeping their order.
func splitImport(req ImportRequest) ([]importBody, error) {
	head, err := json.Marshal(struct {
		Upsert     bool       `json:"upsert"`
		Identifier Identifier `json:"identifier"`
	}{req.Upsert, req.Identifier})
	if err != nil {
		return nil, err
	}
	// {"upsert":…,"identifier":…,"records":[ … ]}
	prefix := append(head[:len(head)-1:len(head)-1], []byte(`,"records":[`)...)
	const suffix = "]}"
	var out []importBody
	cur := append([]byte(nil), prefix...)
	start, n := 0, 0
	for i := range req.Records {
		rec, err := json.Marshal(&req.Records[i])
		if err != nil {
			return nil, fmt.Errorf("adminapi: record %d: %w", i, err)
		}
		if len(prefix)+len(rec)+len(suffix) > MaxImportBody {
			return nil, fmt.Errorf("adminapi: record %d alone is %d bytes, over the %d-byte import limit", i, len(rec), MaxImportBody)
		}
		extra := len(rec)
		if n > 0 {
			extra++ // the comma
		}
		if len(cur)+extra+len(suffix) > MaxImportBody {
			out = append(out, importBody{body: append(cur, suffix...), offset: start, count: n})
			cur, start, n = append([]byte(nil), prefix...), i, 0
		}
		if n > 0 {
			cur = append(cur, ',')
		}
		cur = append(cur, rec...)
		n++
	}
	if n > 0 {
		out = append(out, importBody{body: append(cur, suffix...), offset: start, count: n})
	}
	return out, nil
}

// keepRetryAfter puts an error answer's Retry-After header on its
// *HTTPError.
func keepRetryAfter(err error, retryAfter string) error {
	var he *HTTPError
	if errors.As(err, &he) {
		he.RetryAfter = retryAfter
	}
	return err
}
