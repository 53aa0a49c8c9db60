package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/agmigrate/agmigrate/adminapi"
)

type importSummary struct {
	Read     int `json:"read"`
	Refused  int `json:"refused_before_upload"`
	Inserted int `json:"inserted"`
	Updated  int `json:"updated"`
	Skipped  int `json:"skipped"`
	Failed   int `json:"failed"`
}

// reportProblem is one reason a record was refused before upload or failed
// by Authgear, with the field it is about (a JSON pointer into the record,
// as Authgear reports locations).
type reportProblem struct {
	Location string `json:"location"`
	Kind     string `json:"kind,omitempty"`
	Message  string `json:"message"`
	// Error is Authgear's error name/reason, for failed records.
	Error   string         `json:"error,omitempty"`
	Details map[string]any `json:"details,omitempty"`
}

func (p reportProblem) String() string {
	loc := p.Location
	if loc == "" {
		loc = "(record)"
	}
	s := loc + ": " + p.Message
	if p.Kind != "" && !strings.Contains(p.Message, p.Kind) {
		s += " [" + p.Kind + "]"
	}
	return s
}

type reportRecord struct {
	Line           int             `json:"line"`
	LegacyID       string          `json:"legacy_id,omitempty"`
	Identifier     string          `json:"identifier,omitempty"`
	Outcome        string          `json:"outcome,omitempty"`
	AuthgearUserID string          `json:"authgear_user_id,omitempty"`
	Problems       []reportProblem `json:"problems,omitempty"`
	Warnings       []string        `json:"warnings,omitempty"`
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

// problemsOf keeps every reason Authgear gave for failing a record: one
// problem per cause (location, kind, details), or the error itself when it
// carries none (an internal error).
func problemsOf(errs []adminapi.APIError) []reportProblem {
	var out []reportProblem
	for _, e := range errs {
		name := e.Name + "/" + e.Reason
		causes := e.Causes()
		if len(causes) == 0 {
			out = append(out, reportProblem{Kind: e.Reason, Message: e.Message, Error: name})
			continue
		}
		for _, c := range causes {
			msg := e.Message
			if s, ok := c.Details["error"].(string); ok && s != "" {
				msg = s
			} else if c.Kind != "" {
				msg = c.Kind + ": " + e.Message
			}
			out = append(out, reportProblem{Location: c.Location, Kind: c.Kind, Message: msg, Error: name, Details: c.Details})
		}
	}
	return out
}

// refusedProblem turns a validation problem into a report entry.
func refusedProblem(p adminapi.RecordProblem) reportProblem {
	return reportProblem{Location: p.Location, Kind: p.Kind, Message: p.Problem}
}

func joinProblems(ps []reportProblem) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
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
	filled := min(width, width*max(0, records)/max(1, p.records))
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
