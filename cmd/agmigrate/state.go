package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
)

// maxStateBytes bounds what is read from a state file: a finished import
// keeps a few lines, an unfinished one every job's outcomes.
const maxStateBytes = 256 << 20

// importState is saved after every job submitted or finished, so an
// interrupted import resumes without submitting a job twice. Once the
// report is written the jobs' outcomes (which echo every record) are
// dropped: a finished state file holds no personal data, only what is
// needed to say that the input was imported already.
type importState struct {
	Input  string       `json:"input"` // fingerprint of the file and options
	Chunks []stateChunk `json:"chunks"`
	// Finished is when the report was written; then Jobs are dropped.
	Finished *time.Time     `json:"finished,omitempty"`
	Summary  *importSummary `json:"summary,omitempty"`
	Report   string         `json:"report,omitempty"`
}

type stateChunk struct {
	Offset int                 `json:"offset"`
	Count  int                 `json:"count"`
	JobID  string              `json:"job_id,omitempty"`
	Job    *adminapi.ImportJob `json:"job,omitempty"` // when completed, until the report is written
}

// errStateDamaged is wrapped by every complaint about a state file's content.
var errStateDamaged = errors.New("state file is damaged")

// parseState reads a state file's bytes and checks that they describe the
// plan: the same chunks, and outcomes that stay inside their chunks. A file
// that does not is refused rather than trusted, since its offsets and
// indices are used to address the records.
func parseState(b []byte, plan []adminapi.ImportChunk) (*importState, error) {
	var st importState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", errStateDamaged, err)
	}
	if st.Finished != nil {
		return &st, nil // only its fingerprint is used
	}
	if len(st.Chunks) != len(plan) {
		return &st, nil // another input: compared by fingerprint first
	}
	for i, c := range st.Chunks {
		if c.Offset != plan[i].Offset || c.Count != plan[i].Count {
			return nil, fmt.Errorf("%w: job %d covers records %d+%d, the input plans %d+%d", errStateDamaged, i, c.Offset, c.Count, plan[i].Offset, plan[i].Count)
		}
		if c.Job == nil {
			continue
		}
		if c.JobID == "" || c.Job.ID != c.JobID {
			return nil, fmt.Errorf("%w: job %d has outcomes but no matching job ID", errStateDamaged, i)
		}
		if err := checkDetails(c.Job, c.Count); err != nil {
			return nil, fmt.Errorf("%w: %v", errStateDamaged, err)
		}
	}
	return &st, nil
}

// checkDetails makes sure a job's outcomes name records it carried, whether
// they came from Authgear or from a state file.
func checkDetails(job *adminapi.ImportJob, count int) error {
	for _, d := range job.Details {
		if d.Index < 0 || d.Index >= count {
			return fmt.Errorf("job %s reports record %d, but it carried %d records", job.ID, d.Index, count)
		}
	}
	return nil
}

func loadState(path, fp string, plan []adminapi.ImportChunk) (*importState, error) {
	fresh := &importState{Input: fp}
	for _, c := range plan {
		fresh.Chunks = append(fresh.Chunks, stateChunk{Offset: c.Offset, Count: c.Count})
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fresh, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxStateBytes))
	f.Close()
	if err != nil {
		return nil, err
	}
	st, err := parseState(b, plan)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; remove it to start over", path, err)
	}
	if st.Input != fp {
		if st.complete() {
			return fresh, nil // an earlier import of something else, finished: start anew
		}
		return nil, fmt.Errorf("state file %s belongs to an unfinished import of another input or other options; finish it, or remove the file to start over", path)
	}
	return st, nil
}

// complete reports whether every job has finished.
func (st *importState) complete() bool {
	if st.Finished != nil {
		return true
	}
	for _, c := range st.Chunks {
		if c.Job == nil {
			return false
		}
	}
	return true
}

// finish drops the outcomes, keeping the summary, and saves the state.
func (st *importState) finish(path string, s importSummary, report string, now time.Time) error {
	for i := range st.Chunks {
		st.Chunks[i].Job = nil
	}
	st.Finished, st.Summary, st.Report = &now, &s, report
	return st.save(path)
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

// writeJSON replaces path with v as JSON, readable by the owner only. It
// writes a new temporary file in the same directory (created exclusively,
// so a file or symlink planted under a predictable name is never written
// through) and renames it over path.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+strings.TrimPrefix(base, ".")+".*.tmp")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	return nil
}
