package authgeartest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"time"
)

const maxImportBody = 500 * 1000

type importJob struct {
	id        string
	createdAt time.Time
	polls     int // GETs answered so far
	upsert    bool
	ident     string
	records   []map[string]any
	result    map[string]any // set once the job has run
}

var importTopLevel = map[string]bool{"upsert": true, "identifier": true, "records": true}

// serveImportCreate accepts a job as Authgear does: only the request's top
// level is checked here; records are checked when the job runs.
func (s *Server) serveImportCreate(w http.ResponseWriter, r *http.Request) {
	s.count("import.create")
	if s.applyHTTPFault("import", w, r) || s.applyHTTPFault("import.create", w, r) {
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
	case "application/graphql":
		writeEnvelopeError(w, http.StatusBadRequest, "BadRequest", "BadRequest", "request content type is invalid", nil)
		return
	default:
		http.Error(w, "invalid content type: "+r.Header.Get("Content-Type"), http.StatusUnsupportedMediaType)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxImportBody+1))
	if len(body) > maxImportBody {
		writeEnvelopeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "RequestBodyTooLarge", "request body too large", nil)
		return
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		// Authgear answers a malformed body here with a 500.
		writeEnvelopeError(w, http.StatusInternalServerError, "InternalError", "UnexpectedError", "unexpected error occurred", nil)
		return
	}
	var causes []any
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !importTopLevel[k] {
			causes = append(causes, map[string]any{"location": "/" + k, "kind": ""})
		}
	}
	var req struct {
		Upsert     bool             `json:"upsert"`
		Identifier string           `json:"identifier"`
		Records    []map[string]any `json:"records"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	_ = dec.Decode(&req)
	switch req.Identifier {
	case "email", "phone_number", "preferred_username":
	case "":
		causes = append(causes, map[string]any{"location": "", "kind": "required", "details": map[string]any{"missing": []string{"identifier"}}})
	default:
		causes = append(causes, map[string]any{"location": "/identifier", "kind": "enum", "details": map[string]any{"actual": req.Identifier, "expected": []string{"email", "phone_number", "preferred_username"}}})
	}
	if len(req.Records) == 0 {
		causes = append(causes, map[string]any{"location": "/records", "kind": "minItems", "details": map[string]any{"actual": 0, "expected": 1}})
	}
	if len(causes) > 0 {
		writeEnvelopeError(w, http.StatusBadRequest, "Invalid", "ValidationFailed", "invalid request body", map[string]any{"causes": causes})
		return
	}
	job := &importJob{id: newImportID(), createdAt: s.opts.Now(), upsert: req.Upsert, ident: req.Identifier, records: req.Records}
	s.mu.Lock()
	s.imports[job.id] = job
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"result": map[string]any{
		"id": job.id, "created_at": datetime(job.createdAt), "status": "pending",
	}}, false)
}

func (s *Server) serveImportGet(w http.ResponseWriter, r *http.Request, id string) {
	s.count("import.get")
	if s.applyHTTPFault("import", w, r) || s.applyHTTPFault("import.get", w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	job := s.imports[id]
	if job == nil {
		writeEnvelopeError(w, http.StatusNotFound, "NotFound", "TaskNotFound", "task not found", nil)
		return
	}
	job.polls++
	if job.polls <= s.opts.ImportPendingPolls && job.result == nil {
		writeJSON(w, http.StatusOK, map[string]any{"result": map[string]any{
			"id": job.id, "created_at": datetime(job.createdAt), "status": "pending",
		}}, false)
		return
	}
	if job.result == nil {
		job.result = s.runImportLocked(job)
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": job.result}, false)
}

// ImportJobs returns how many import jobs the fake has accepted.
func (s *Server) ImportJobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.imports)
}

var importLoginKey = map[string]string{"email": "email", "phone_number": "phone", "preferred_username": "username"}

var bcryptRE = regexp.MustCompile(`^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$`)

// runImportLocked applies a job's records as Authgear's import task does.
func (s *Server) runImportLocked(job *importJob) map[string]any {
	summary := map[string]int{"total": len(job.records), "inserted": 0, "updated": 0, "skipped": 0, "failed": 0}
	details := make([]any, 0, len(job.records))
	for i, rec := range job.records {
		d := map[string]any{"index": i, "record": redact(rec)}
		outcome, userID, warns, err := s.importRecordLocked(job, rec)
		d["outcome"] = outcome
		summary[outcome]++
		if userID != "" {
			d["user_id"] = userID
		}
		if len(warns) > 0 {
			ws := make([]any, len(warns))
			for j, m := range warns {
				ws[j] = map[string]any{"message": m}
			}
			d["warnings"] = ws
		}
		if err != nil {
			d["errors"] = []any{err}
		}
		details = append(details, d)
	}
	return map[string]any{
		"id": job.id, "created_at": datetime(job.createdAt), "completed_at": datetime(s.opts.Now()),
		"status": "completed", "summary": summary, "details": details,
	}
}

func validationError(causes []any) map[string]any {
	return map[string]any{"name": "Invalid", "reason": "ValidationFailed", "message": "invalid value", "code": 400,
		"info": map[string]any{"causes": causes}}
}

// apiError turns a resolver error into the APIError shape import details use.
func apiError(fe *fieldErr, code int) map[string]any {
	e := map[string]any{"name": fe.name, "reason": fe.reason, "message": fe.msg, "code": code}
	if fe.info != nil {
		e["info"] = fe.info
	}
	return e
}

// importRecordLocked runs one record as Authgear's import task does: the
// record's schema (formats, types, the identifier), the bcrypt hash, role
// and group keys, then the existing-user match on the record's value as
// written (not normalised), then an insert whose login ID must not collide
// with another after normalisation.
func (s *Server) importRecordLocked(job *importJob, rec map[string]any) (outcome, userID string, warns []string, apiErr map[string]any) {
	if causes := recordCauses(job.ident, rec); len(causes) > 0 {
		return "failed", "", nil, validationError(causes)
	}
	pw, _ := rec["password"].(map[string]any)
	if h, _ := pw["password_hash"].(string); pw != nil && !bcryptRE.MatchString(h) {
		return "failed", "", nil, map[string]any{"name": "InternalError", "reason": "UnexpectedError", "message": "unexpected error occurred", "code": 500}
	}
	if fe := s.checkRoleAndGroupKeysLocked(rec); fe != nil {
		return "failed", "", nil, apiError(fe, 404)
	}
	idVal, _ := rec[job.ident].(string)
	key := importLoginKey[job.ident]
	var existing *User
	if s.hasLoginIDKey(key) {
		existing = s.findByClaimLocked(key, idVal)
	}
	if existing != nil {
		if !job.upsert {
			return "skipped", existing.ID, []string{"skipping because upsert = false and user exists"}, nil
		}
		// password (and mfa) on update is ignored, with no warning.
		applyImportAttrs(existing, rec, false)
		existing.UpdatedAt = s.opts.Now()
		return "updated", existing.ID, nil, nil
	}
	u := &User{}
	for field, k := range importLoginKey {
		v, _ := rec[field].(string)
		if v == "" {
			continue
		}
		if !s.hasLoginIDKey(k) {
			warns = append(warns, field+" is ignored because it is not an allowed login ID.")
			continue
		}
		u.setLoginID(k, v)
	}
	applyImportAttrs(u, rec, true)
	if pw != nil {
		u.PasswordHash, _ = pw["password_hash"].(string)
	}
	id, err := s.addUserLocked(*u)
	if errors.Is(err, errLoginIDTaken) {
		return "failed", "", nil, apiError(duplicatedIdentity(key), 400)
	}
	if err != nil {
		return "failed", "", nil, validationError([]any{map[string]any{"kind": "format", "location": "/" + job.ident, "details": map[string]any{"error": err.Error()}}})
	}
	sort.Strings(warns)
	return "inserted", id, warns, nil
}

// applyImportAttrs copies standard attributes, flags and roles from a
// record: present values are set, nulls remove.
func applyImportAttrs(u *User, rec map[string]any, insert bool) {
	if u.StandardAttributes == nil {
		u.StandardAttributes = map[string]any{}
	}
	for k, v := range rec {
		switch k {
		case "email", "phone_number", "preferred_username", "password", "mfa":
		case "disabled":
			u.Disabled, _ = v.(bool)
		case "roles":
			u.Roles = nil
			for _, r := range asList(v) {
				u.Roles = append(u.Roles, fmt.Sprint(r))
			}
		case "custom_attributes":
			u.CustomAttributes, _ = v.(map[string]any)
		case "groups", "account_valid_from", "account_valid_until":
		default:
			if v == nil {
				delete(u.StandardAttributes, k)
			} else {
				u.StandardAttributes[k] = v
			}
		}
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// redact echoes a record with secrets replaced, as Authgear does.
func redact(rec map[string]any) map[string]any {
	out := copyMap(rec)
	if pw, ok := rec["password"].(map[string]any); ok {
		p := copyMap(pw)
		p["password_hash"] = "REDACTED"
		out["password"] = p
	}
	if mfa, ok := rec["mfa"].(map[string]any); ok {
		m := copyMap(mfa)
		if pw, ok := mfa["password"].(map[string]any); ok {
			p := copyMap(pw)
			p["password_hash"] = "REDACTED"
			m["password"] = p
		}
		if t, ok := mfa["totp"].(map[string]any); ok {
			tt := copyMap(t)
			tt["secret"] = "REDACTED"
			m["totp"] = tt
		}
		out["mfa"] = m
	}
	return out
}

// newImportID is "userimport_" and 32 characters of Crockford base32.
func newImportID() string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var b [32]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return "userimport_" + string(b[:])
}
