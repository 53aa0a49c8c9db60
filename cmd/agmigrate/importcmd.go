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
	"slices"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
)

type importFlags struct {
	authgearFlags
	file, format, identifier, mapping, legacyIDField string
	report, state, roleKeys, groupKeys               string
	upsert, strict, progress, normalize              bool
	poll                                             time.Duration
	now                                              func() time.Time
}

const importHelp = `Usage: agmigrate import --file users.json [flags]

Bulk-imports users through Authgear's User Import API (bulk migration).
Records in Authgear's import format come from a JSON array, NDJSON (one
object per line) or CSV (a header row; --map renames columns).

Authgear checks records only inside the import job, after upload. This
command checks them first, the way Authgear does, and leaves out (and
lists) every record Authgear would fail: password hashes other than bcrypt,
emails, phone numbers, URLs, birthdates, time zones (IANA names such as
Asia/Hong_Kong) and locales (canonical BCP 47 such as en-US) in the wrong
form, empty names or gender, address fields that are not strings, role and
group keys the project lacks (when --role-keys / --group-keys list them),
and login IDs that Authgear's normalisation (case folding, NFKC) makes
equal: every record of such a group is left out, as Authgear would treat
them as one user. An identifier not in the form Authgear stores (such as
Alice@Example.com) is refused too, because Authgear then fails it instead
of matching the existing user; --normalize rewrites such values.

The rest are split into jobs under the 500 KB limit, and polled until done.
Progress is saved in a state file after each job: run the same command
again after an interruption and it picks up where it stopped, without
uploading any job twice. Once the report is written the state file keeps
only a summary (no personal data), and running the command again says
there is nothing to do.

CSV columns: email, phone_number, preferred_username, name, given_name,
family_name, middle_name, nickname, profile, picture, website, gender,
birthdate, zoneinfo, locale (text); email_verified, phone_number_verified,
disabled (true/false); roles, groups (separated by |); password_hash (a
bcrypt hash).

The report (JSON) lists the records refused before upload and those Authgear
failed, each reason with the field (a JSON pointer such as /birthdate), its
kind and Authgear's details, and every legacy → Authgear user ID.

Exit status: 0 all imported (inserted, updated or skipped) or nothing to
do, 1 some records refused or failed, 2 bad usage or setup.

Flags:
`

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	fs := flag.NewFlagSet("agmigrate import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := importFlags{now: time.Now}
	f.register(fs, env)
	from := registerFrom(fs) // --from PROVIDER FILE: importfrom.go
	fs.StringVar(&f.file, "file", "", "the records to import (required)")
	fs.StringVar(&f.format, "format", "", "json, ndjson or csv (default: from the file's extension)")
	fs.StringVar(&f.identifier, "identifier", "email", "the field identifying users: email, phone_number or preferred_username")
	fs.StringVar(&f.mapping, "map", "", "CSV column renames, e.g. \"Email=email,Pw=password_hash\"")
	fs.StringVar(&f.legacyIDField, "legacy-id-field", "", "a field holding the legacy user ID (not uploaded; used in the report)")
	fs.StringVar(&f.report, "report", "", "where to write the report (default <file>.report.json)")
	fs.StringVar(&f.state, "state", "", "where to keep progress for resuming (default <file>.state.json)")
	fs.StringVar(&f.roleKeys, "role-keys", "", "the project's role keys, comma-separated: records naming others are refused (default: not checked)")
	fs.StringVar(&f.groupKeys, "group-keys", "", "the project's group keys, comma-separated: records naming others are refused (default: not checked)")
	fs.BoolVar(&f.upsert, "upsert", false, "update users that exist already (default: skip them); Authgear ignores passwords on update")
	fs.BoolVar(&f.normalize, "normalize", false, "rewrite emails, phone numbers and usernames to the form Authgear stores, so existing users are matched")
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
	if from.provider != "" {
		return from.run(ctx, fs, &f, stdout, stderr)
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

// maxListed is how many refused or failed records are printed; the report
// has them all.
const maxListed = 20

// input is one record as read, with where it came from.
type input struct {
	line     int // 1-based position in the file (CSV: data row)
	legacyID string
	record   adminapi.ImportRecord
	problems []reportProblem
}

// keyList splits a comma-separated flag; nil when the flag was not given.
func keyList(s string) []string {
	if s == "" {
		return nil
	}
	out := []string{}
	for _, k := range strings.Split(s, ",") {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

func (f *importFlags) run(ctx context.Context, stdout io.Writer) (int, error) {
	data, err := readInput(f.file)
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
	project := adminapi.ImportProject{RoleKeys: keyList(f.roleKeys), GroupKeys: keyList(f.groupKeys)}
	// Validate everything together (duplicates span the file), then keep
	// the valid records in file order.
	all := adminapi.ImportRequest{Identifier: ident, Project: project, Records: make([]adminapi.ImportRecord, len(ins))}
	for i := range ins {
		all.Records[i] = ins[i].record
	}
	if f.normalize {
		var n int
		if all, n = adminapi.NormalizeImport(all); n > 0 {
			fmt.Fprintf(stdout, "%d login ID(s) rewritten to the form Authgear stores (--normalize)\n", n)
		}
		for i := range ins {
			ins[i].record = all.Records[i]
		}
	}
	unreadable := map[int]bool{}
	for i := range ins {
		unreadable[i] = ins[i].problems != nil
	}
	for _, p := range adminapi.ValidateImport(all) {
		if p.Index < 0 {
			return 2, fmt.Errorf("%s", p)
		}
		if !unreadable[p.Index] { // an unreadable record is empty: its own problems say why
			ins[p.Index].problems = append(ins[p.Index].problems, refusedProblem(p))
		}
	}
	var valid, refused []*input
	for i := range ins {
		if ins[i].problems != nil {
			refused = append(refused, &ins[i])
		} else {
			valid = append(valid, &ins[i])
		}
	}
	req := adminapi.ImportRequest{Identifier: ident, Upsert: f.upsert, Project: project}
	for _, in := range valid {
		req.Records = append(req.Records, in.record)
	}
	plan, err := adminapi.PlanImport(req)
	if err != nil && len(valid) > 0 {
		return 2, err
	}
	st, err := loadState(f.state, fingerprint(data, req), plan)
	if err != nil {
		return 2, err
	}
	if st.Finished != nil {
		s := st.Summary
		fmt.Fprintf(stdout, "nothing to do: %s was imported already (finished %s", f.file, st.Finished.UTC().Format(time.RFC3339))
		if s != nil {
			fmt.Fprintf(stdout, ": inserted %d, updated %d, skipped %d, failed %d, refused before upload %d", s.Inserted, s.Updated, s.Skipped, s.Failed, s.Refused)
		}
		fmt.Fprintf(stdout, ").\nThe report is %s. To import the file again, remove %s.\n", st.Report, f.state)
		return 0, nil
	}

	fmt.Fprintf(stdout, "%d records read, %d refused before upload\n", len(ins), len(refused))
	rep := &importReport{Summary: importSummary{Read: len(ins), Refused: len(refused)}}
	for i, in := range refused {
		if i < maxListed {
			fmt.Fprintf(stdout, "  record %d%s: %s\n", in.line, legacySuffix(in.legacyID), joinProblems(in.problems))
		} else if i == maxListed {
			fmt.Fprintf(stdout, "  … and %d more (all are in the report)\n", len(refused)-maxListed)
		}
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
	if f.upsert && slices.ContainsFunc(req.Records, func(r adminapi.ImportRecord) bool { return r.Password != nil }) {
		fmt.Fprintln(stdout, "note: with --upsert, Authgear ignores the password of users that exist already (it sets passwords on insert only)")
	}

	if err := f.submitAndWait(ctx, stdout, st, req, plan); err != nil {
		return 2, err
	}
	failed := 0
	for _, ch := range st.Chunks {
		for _, d := range ch.Job.Details {
			in := valid[ch.Offset+d.Index] // checkDetails keeps d.Index inside the chunk
			rr := reportRecord{Line: in.line, LegacyID: in.legacyID, Identifier: identOf(in.record, ident), Outcome: string(d.Outcome), AuthgearUserID: d.UserID}
			for _, w := range d.Warnings {
				rr.Warnings = append(rr.Warnings, w.Message)
			}
			rr.Problems = problemsOf(d.Errors)
			rep.add(rr)
			if d.Outcome == adminapi.OutcomeFailed {
				if failed++; failed > maxListed {
					continue
				}
				fmt.Fprintf(stdout, "  failed: record %d%s: %s\n", in.line, legacySuffix(in.legacyID), joinProblems(rr.Problems))
			}
		}
	}
	if err := writeJSON(f.report, rep); err != nil {
		return 2, err
	}
	if err := st.finish(f.state, rep.Summary, f.report, f.now()); err != nil {
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

// submitAndWait submits the jobs not yet submitted and waits for those not
// yet finished, saving the state after each step.
func (f *importFlags) submitAndWait(ctx context.Context, stdout io.Writer, st *importState, req adminapi.ImportRequest, plan []adminapi.ImportChunk) error {
	admin, err := f.admin()
	if err != nil {
		return err
	}
	if resumed := st.started(); resumed > 0 {
		fmt.Fprintf(stdout, "resuming: %d of %d jobs already submitted\n", resumed, len(plan))
	}
	bar := newProgress(stdout, f.progress, len(plan), len(req.Records))
	for i := range st.Chunks {
		ch := &st.Chunks[i]
		if ch.JobID == "" {
			job, err := admin.SubmitImport(ctx, adminapi.ImportRequest{Identifier: req.Identifier, Upsert: req.Upsert, Project: req.Project,
				Records: req.Records[ch.Offset : ch.Offset+ch.Count]})
			if err != nil {
				return fmt.Errorf("submitting records %d-%d: %w (run again to resume)", ch.Offset, ch.Offset+ch.Count-1, err)
			}
			ch.JobID = job.ID
			if err := st.save(f.state); err != nil {
				return err
			}
		}
		bar.submitted(i + 1)
	}
	for i := range st.Chunks {
		ch := &st.Chunks[i]
		if ch.Job == nil {
			job, err := admin.WaitImportJob(ctx, ch.JobID, f.poll)
			if err != nil {
				return fmt.Errorf("waiting for job %s: %w (run again to resume)", ch.JobID, err)
			}
			if err := checkDetails(job, ch.Count); err != nil {
				return fmt.Errorf("authgear answered out of range: %w", err)
			}
			ch.Job = job
			if err := st.save(f.state); err != nil {
				return err
			}
		}
		bar.completed(i+1, ch.Offset+ch.Count)
	}
	bar.done()
	return nil
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

// fingerprint ties a state file to one input and one set of options: the
// file's bytes and the exact request that would be sent.
func fingerprint(data []byte, req adminapi.ImportRequest) string {
	h := sha256.New()
	h.Write(data)
	fmt.Fprintf(h, "\x00%s\x00%v\x00%d", req.Identifier, req.Upsert, len(req.Records))
	for i := range req.Records {
		b, _ := json.Marshal(&req.Records[i])
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// maxInputBytes bounds the import file read into memory.
const maxInputBytes = 1 << 30

func readInput(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInputBytes+1))
	if err == nil && len(b) > maxInputBytes {
		err = fmt.Errorf("%s is over %d bytes; split it", path, maxInputBytes)
	}
	return b, err
}
