package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
)

type importFlags struct {
	authgearFlags
	file, format, identifier, mapping, legacyIDField string
	report, state                                    string
	upsert, strict, progress                         bool
	poll                                             time.Duration
}

const importHelp = `Usage: agmigrate import --file users.json [flags]

Bulk-imports users through Authgear's User Import API (bulk migration).
Records in Authgear's import format come from a JSON array, NDJSON (one
object per line) or CSV (a header row; --map renames columns). Records
Authgear would refuse (non-bcrypt password hashes, phone numbers not in
E.164, duplicate identifiers, …) are listed and left out before anything is
uploaded. The rest are split into jobs under the 500 KB limit, and polled
until done. Progress is saved in a state file after each job: run the same
command again after an interruption and it picks up where it stopped,
without uploading any job twice.

CSV columns: email, phone_number, preferred_username, name, given_name,
family_name, middle_name, nickname, profile, picture, website, gender,
birthdate, zoneinfo, locale (text); email_verified, phone_number_verified,
disabled (true/false); roles, groups (separated by |); password_hash (a
bcrypt hash).

The report (JSON) lists the records refused before upload and those Authgear
failed, with reasons, and every legacy → Authgear user ID.

Exit status: 0 all imported (inserted, updated or skipped), 1 some records
refused or failed, 2 bad usage or setup.

Flags:
`

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	fs := flag.NewFlagSet("agmigrate import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f importFlags
	f.register(fs, env)
	fs.StringVar(&f.file, "file", "", "the records to import (required)")
	fs.StringVar(&f.format, "format", "", "json, ndjson or csv (default: from the file's extension)")
	fs.StringVar(&f.identifier, "identifier", "email", "the field identifying users: email, phone_number or preferred_username")
	fs.StringVar(&f.mapping, "map", "", "CSV column renames, e.g. \"Email=email,Pw=password_hash\"")
	fs.StringVar(&f.legacyIDField, "legacy-id-field", "", "a field holding the legacy user ID (not uploaded; used in the report)")
	fs.StringVar(&f.report, "report", "", "where to write the report (default <file>.report.json)")
	fs.StringVar(&f.state, "state", "", "where to keep progress for resuming (default <file>.state.json)")
	fs.BoolVar(&f.upsert, "upsert", false, "update users that exist already (default: skip them)")
	fs.BoolVar(&f.strict, "strict", false, "upload nothing when any record is refused")
	fs.BoolVar(&f.progress, "progress", isTerminal(stdout), "draw a progress bar (default: on a terminal)")
	fs.DurationVar(&f.poll, "poll", time.Second, "how often to ask Authgear about a job")
	fs.Usage = func() { fmt.Fprint(stderr, importHelp); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if f.file == "" {
		fmt.Fprintln(stderr, "agmigrate import: --file is required (see --help)")
		return 2
	}
	if f.report == "" {
		f.report = f.file + ".report.json"
	}
	if f.state == "" {
		f.state = f.file + ".state.json"
	}
	code, err := f.run(ctx, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "agmigrate import:", err)
	}
	return code
}

// input is one record as read, with where it came from.
type input struct {
	line     int // 1-based position in the file (CSV: data row)
	legacyID string
	record   adminapi.ImportRecord
	problems []string
}

func (f *importFlags) run(ctx context.Context, stdout io.Writer) (int, error) {
	data, err := os.ReadFile(f.file)
	if err != nil {
		return 2, err
	}
	format := f.format
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(f.file)), ".")
		if format == "jsonl" {
			format = "ndjson"
		}
	}
	ins, err := readRecords(data, format, f.mapping, f.legacyIDField)
	if err != nil {
		return 2, err
	}
	ident := adminapi.Identifier(f.identifier)
	// Validate everything together (duplicates span the file), then keep
	// the valid records in file order.
	all := make([]adminapi.ImportRecord, len(ins))
	for i := range ins {
		all[i] = ins[i].record
	}
	for _, p := range adminapi.ValidateImport(adminapi.ImportRequest{Identifier: ident, Records: all}) {
		if p.Index < 0 {
			return 2, fmt.Errorf("%s", p)
		}
		ins[p.Index].problems = append(ins[p.Index].problems, p.Field+": "+p.Problem)
	}
	var valid []*input
	var refused []*input
	for i := range ins {
		if ins[i].problems != nil {
			refused = append(refused, &ins[i])
		} else {
			valid = append(valid, &ins[i])
		}
	}
	fmt.Fprintf(stdout, "%d records read, %d refused before upload\n", len(ins), len(refused))
	for _, in := range refused {
		fmt.Fprintf(stdout, "  record %d%s: %s\n", in.line, legacySuffix(in.legacyID), strings.Join(in.problems, "; "))
	}
	rep := &importReport{Summary: importSummary{Read: len(ins), Refused: len(refused)}}
	for _, in := range refused {
		rep.Refused = append(rep.Refused, reportRecord{Line: in.line, LegacyID: in.legacyID, Identifier: identOf(in.record, ident), Problems: in.problems})
	}
	if len(refused) > 0 && f.strict {
		_ = writeJSON(f.report, rep)
		return 1, fmt.Errorf("--strict: nothing uploaded; the report is in %s", f.report)
	}
	if len(valid) == 0 {
		_ = writeJSON(f.report, rep)
		return 1, errors.New("no valid record to import")
	}

	admin, err := f.admin()
	if err != nil {
		return 2, err
	}
	req := adminapi.ImportRequest{Identifier: ident, Upsert: f.upsert}
	for _, in := range valid {
		req.Records = append(req.Records, in.record)
	}
	plan, err := adminapi.PlanImport(req)
	if err != nil {
		return 2, err
	}
	st, err := loadState(f.state, fingerprint(data, req), plan)
	if err != nil {
		return 2, err
	}
	if resumed := st.started(); resumed > 0 {
		fmt.Fprintf(stdout, "resuming: %d of %d jobs already submitted\n", resumed, len(plan))
	}
	bar := newProgress(stdout, f.progress, len(plan), len(req.Records))
	for i := range st.Chunks {
		ch := &st.Chunks[i]
		if ch.JobID == "" {
			job, err := admin.SubmitImport(ctx, adminapi.ImportRequest{Identifier: ident, Upsert: f.upsert, Records: req.Records[ch.Offset : ch.Offset+ch.Count]})
			if err != nil {
				return 2, fmt.Errorf("submitting records %d-%d: %w (run again to resume)", ch.Offset, ch.Offset+ch.Count-1, err)
			}
			ch.JobID = job.ID
			if err := st.save(f.state); err != nil {
				return 2, err
			}
		}
		bar.submitted(i + 1)
	}
	for i := range st.Chunks {
		ch := &st.Chunks[i]
		if ch.Job == nil {
			job, err := admin.WaitImportJob(ctx, ch.JobID, f.poll)
			if err != nil {
				return 2, fmt.Errorf("waiting for job %s: %w (run again to resume)", ch.JobID, err)
			}
			ch.Job = job
			if err := st.save(f.state); err != nil {
				return 2, err
			}
		}
		bar.completed(i+1, ch.Offset+ch.Count)
	}
	bar.done()

	failed := 0
	for _, ch := range st.Chunks {
		for _, d := range ch.Job.Details {
			in := valid[ch.Offset+d.Index]
			rr := reportRecord{Line: in.line, LegacyID: in.legacyID, Identifier: identOf(in.record, ident), Outcome: string(d.Outcome), AuthgearUserID: d.UserID}
			for _, w := range d.Warnings {
				rr.Warnings = append(rr.Warnings, w.Message)
			}
			for _, e := range d.Errors {
				rr.Problems = append(rr.Problems, e.Name+"/"+e.Reason+": "+e.Message)
			}
			rep.add(rr)
			if d.Outcome == adminapi.OutcomeFailed {
				failed++
			}
		}
	}
	if err := writeJSON(f.report, rep); err != nil {
		return 2, err
	}
	s := rep.Summary
	fmt.Fprintf(stdout, "\ninserted %d, updated %d, skipped %d, failed %d, refused before upload %d\nreport: %s\n",
		s.Inserted, s.Updated, s.Skipped, s.Failed, s.Refused, f.report)
	if failed > 0 || len(refused) > 0 {
		return 1, nil
	}
	return 0, nil
}

func legacySuffix(id string) string {
	if id == "" {
		return ""
	}
	return " (legacy ID " + id + ")"
}

func identOf(r adminapi.ImportRecord, id adminapi.Identifier) string {
	var p *string
	switch id {
	case adminapi.IdentifierEmail:
		p = r.Email
	case adminapi.IdentifierPhone:
		p = r.PhoneNumber
	default:
		p = r.PreferredUsername
	}
	if p == nil {
		return ""
	}
	return *p
}

// fingerprint ties a state file to one input and one set of options.
func fingerprint(data []byte, req adminapi.ImportRequest) string {
	h := sha256.New()
	h.Write(data)
	fmt.Fprintf(h, "\x00%s\x00%v\x00%d", req.Identifier, req.Upsert, len(req.Records))
	return hex.EncodeToString(h.Sum(nil))
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
