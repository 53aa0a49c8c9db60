package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/agmigrate/agmigrate/adminapi"
)

// importState is saved after every job submitted or finished, so an
// interrupted import resumes without submitting a job twice.
type importState struct {
	Input  string       `json:"input"` // fingerprint of the file and options
	Chunks []stateChunk `json:"chunks"`
}

type stateChunk struct {
	Offset int                 `json:"offset"`
	Count  int                 `json:"count"`
	JobID  string              `json:"job_id,omitempty"`
	Job    *adminapi.ImportJob `json:"job,omitempty"` // when finished
}

func loadState(path, fp string, plan []adminapi.ImportChunk) (*importState, error) {
	fresh := &importState{Input: fp}
	for _, c := range plan {
		fresh.Chunks = append(fresh.Chunks, stateChunk{Offset: c.Offset, Count: c.Count})
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return fresh, nil
	}
	if err != nil {
		return nil, err
	}
	var st importState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("state file %s is damaged (%v); remove it to start over", path, err)
	}
	if st.Input != fp || len(st.Chunks) != len(plan) {
		if st.complete() {
			return fresh, nil // an earlier import, finished: start anew
		}
		return nil, fmt.Errorf("state file %s belongs to an unfinished import of another input or other options; finish it, or remove the file to start over", path)
	}
	return &st, nil
}

func (st *importState) complete() bool {
	for _, c := range st.Chunks {
		if c.Job == nil {
			return false
		}
	}
	return true
}

func (st *importState) save(path string) error { return writeJSON(path, st) }

func (st *importState) started() int {
	n := 0
	for _, c := range st.Chunks {
		if c.JobID != "" {
			n++
		}
	}
	return n
}

type importSummary struct {
	Read     int `json:"read"`
	Refused  int `json:"refused_before_upload"`
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`
}

type reportRecord struct {
	Line           int      `json:"line"`
	LegacyID       string   `json:"legacy_id,omitempty"`
	Identifier     string   `json:"identifier,omitempty"`
	Outcome        string   `json:"outcome,omitempty"`
	AuthgearUserID string   `json:"authgear_user_id,omitempty"`
	Problems       []string `json:"problems,omitempty"`
	Warnings       []string `json:"warnings,omitempty"`
}

type importReport struct {
	Summary importSummary  `json:"summary"`
	Refused []reportRecord `json:"refused_before_upload,omitempty"`
	Failed  []reportRecord `json:"failed,omitempty"`
	// Users maps legacy users to Authgear users (inserted, updated, skipped).
	Users []reportRecord `json:"users,omitempty"`
}

func (r *importReport) add(rr reportRecord) {
	switch adminapi.Outcome(rr.Outcome) {
	case adminapi.OutcomeInserted:
		r.Summary.Inserted++
	case adminapi.OutcomeUpdated:
		r.Summary.Updated++
	case adminapi.OutcomeSkipped:
		r.Summary.Skipped++
	case adminapi.OutcomeFailed:
		r.Summary.Failed++
		r.Failed = append(r.Failed, rr)
		return
	}
	r.Users = append(r.Users, rr)
}

// progress draws a bar on a terminal, or plain lines elsewhere.
type progress struct {
	out           io.Writer
	bar           bool
	jobs, records int
}

func newProgress(out io.Writer, bar bool, jobs, records int) *progress {
	return &progress{out: out, bar: bar, jobs: jobs, records: records}
}

func (p *progress) submitted(n int) {
	if !p.bar {
		fmt.Fprintf(p.out, "submitted job %d/%d\n", n, p.jobs)
	}
}

func (p *progress) completed(n, records int) {
	if !p.bar {
		fmt.Fprintf(p.out, "completed job %d/%d (%d/%d records)\n", n, p.jobs, records, p.records)
		return
	}
	const width = 30
	filled := width * records / max(1, p.records)
	fmt.Fprintf(p.out, "\r[%s%s] %d/%d records, %d/%d jobs", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), records, p.records, n, p.jobs)
}

func (p *progress) done() {
	if p.bar {
		fmt.Fprintln(p.out)
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
