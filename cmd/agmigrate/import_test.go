package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/internal/reference"
)

const bcryptHash = "$2a$10$SzHs5IoxKip.bE2Qukqywui2VT9mjGGZrr6EsxCrImwRvHR6f3E82"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readReport(t *testing.T, path string) importReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r importReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestImportJSONWithBadRecords(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{})
	fake.AddUser(authgeartest.User{Email: "existing@example.com"})
	file := writeFile(t, "users.json", `[
 {"legacy_id": "L1", "email": "dave@example.com", "email_verified": true, "name": "Dave", "password": {"type": "bcrypt", "password_hash": "`+bcryptHash+`"}},
 {"legacy_id": "L2", "email": "frank@example.com", "password": {"type": "md5", "password_hash": "5f4dcc3b5aa765d61d8327deb882cf99"}},
 {"legacy_id": "L3", "email": "gina@example.com", "phone_number": "91234567"},
 {"legacy_id": "L4", "email": "DAVE@example.com"},
 {"legacy_id": "L5", "email": "erin@example.com", "favourite_colour": "blue"},
 {"legacy_id": "L6", "email": "existing@example.com"}
]`)
	code, out := runCmd(t, env, "import", "--file", file, "--legacy-id-field", "legacy_id", "--poll", "5ms")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (records refused)\n%s", code, out)
	}
	if !strings.Contains(out, "6 records read, 5 refused before upload") || !strings.Contains(out, "inserted 0, updated 0, skipped 1, failed 0, refused before upload 5") {
		t.Errorf("output:\n%s", out)
	}
	rep := readReport(t, file+".report.json")
	refused := map[string][]string{}
	for _, r := range rep.Refused {
		for _, p := range r.Problems {
			refused[r.LegacyID] = append(refused[r.LegacyID], p.Location+" "+p.Kind)
			if p.Message == "" {
				t.Errorf("%s: a problem without words: %+v", r.LegacyID, p)
			}
		}
	}
	// dave@ and DAVE@ are one account in Authgear: both are left out.
	for id, want := range map[string]string{"L1": "/email DuplicatedIdentity", "L2": "/password/type enum", "L3": "/phone_number format",
		"L4": "/email NotNormalized", "L5": "/favourite_colour additionalProperties"} {
		if !slices.Contains(refused[id], want) {
			t.Errorf("%s: problems %q, want %q", id, refused[id], want)
		}
	}
	users := map[string]reportRecord{}
	for _, u := range rep.Users {
		users[u.LegacyID] = u
	}
	if users["L6"].Outcome != "skipped" || users["L6"].AuthgearUserID == "" || len(rep.Users) != 1 {
		t.Errorf("users %+v", rep.Users)
	}
	if fake.ImportJobs() != 1 {
		t.Errorf("%d jobs", fake.ImportJobs())
	}
	if strings.Contains(out, "DAVE@") || strings.Contains(out, "5f4dcc3b") {
		t.Errorf("the output quotes a refused value:\n%s", out)
	}
	if b, _ := os.ReadFile(file + ".report.json"); strings.Contains(string(b), bcryptHash) {
		t.Error("the report holds a password hash")
	}
}

func TestImportCSVAndNDJSON(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{Roles: []string{"admin", "editor"}})
	csvFile := writeFile(t, "users.csv", "id,Mail,verified,name,roles,pw\n"+
		"1,ann@example.com,true,Ann,admin|editor,"+bcryptHash+"\n"+
		"2,ben@example.com,false,Ben,,\n")
	code, out := runCmd(t, env, "import", "--file", csvFile, "--map", "Mail=email,verified=email_verified,pw=password_hash",
		"--legacy-id-field", "id", "--poll", "5ms")
	if code != 0 {
		t.Fatalf("CSV: exit %d\n%s", code, out)
	}
	u, err := fake.AdminClient().GetUserByLoginID(t.Context(), "email", "ann@example.com")
	if err != nil || u.StandardAttributes["name"] != "Ann" || u.StandardAttributes["email_verified"] != true {
		t.Errorf("ann: %+v %v", u, err)
	}
	nd := writeFile(t, "users.ndjson", `{"email":"cat@example.com"}`+"\n\n"+`{"email":"dan@example.com","disabled":true}`+"\n")
	if code, out := runCmd(t, env, "import", "--file", nd, "--poll", "5ms"); code != 0 || !strings.Contains(out, "inserted 2") {
		t.Fatalf("NDJSON: exit %d\n%s", code, out)
	}
	if code, out := runCmd(t, env, "import", "--file", nd, "--poll", "5ms", "--upsert"); code != 0 || !strings.Contains(out, "updated 2") {
		t.Fatalf("NDJSON again with --upsert: exit %d\n%s", code, out)
	}
}

// An import cut off after its first job resumes where it stopped, and no
// job is submitted twice.
func TestImportResumes(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{})
	var lines []string
	for i := 0; i < 300; i++ { // ~1.2 MB: three jobs
		lines = append(lines, fmt.Sprintf(`{"email":"r%03d@example.com","nickname":"%s"}`, i, strings.Repeat("p", 4000)))
	}
	file := writeFile(t, "big.ndjson", strings.Join(lines, "\n"))
	fake.SetFault("import.create", authgeartest.Fault{Status: 503, After: 1})
	code, out := runCmd(t, env, "import", "--file", file, "--poll", "5ms")
	if code != 2 || !strings.Contains(out, "run again to resume") {
		t.Fatalf("interrupted run: exit %d\n%s", code, out)
	}
	if fake.ImportJobs() != 1 {
		t.Fatalf("%d jobs accepted before the failure, want 1", fake.ImportJobs())
	}
	fake.ClearFault("import.create")
	code, out = runCmd(t, env, "import", "--file", file, "--poll", "5ms", "--progress")
	if code != 0 || !strings.Contains(out, "resuming: 1 of 3 jobs already submitted") || !strings.Contains(out, "inserted 300") {
		t.Fatalf("resumed run: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "\r[") {
		t.Error("no progress bar with --progress")
	}
	if n := fake.ImportJobs(); n != 3 {
		t.Errorf("%d jobs accepted in all, want 3 (none twice)", n)
	}
	// A third run finds everything done and submits nothing.
	start := fake.Calls("import.create")
	if code, _ := runCmd(t, env, "import", "--file", file, "--poll", "5ms"); code != 0 || fake.Calls("import.create") != start {
		t.Errorf("run after completion: exit %d, %d new submissions", code, fake.Calls("import.create")-start)
	}
	_ = time.Second
}

func TestImportUsageErrors(t *testing.T) {
	_, env := setup(t, authgeartest.Options{})
	if code, out := runCmd(t, env, "import"); code != 2 || !strings.Contains(out, "--file is required") {
		t.Errorf("no file: %d %s", code, out)
	}
	bad := writeFile(t, "x.json", `{"not":"an array"}`)
	if code, _ := runCmd(t, env, "import", "--file", bad); code != 2 {
		t.Errorf("not an array: %d", code)
	}
	strict := writeFile(t, "s.json", `[{"email":"ok@example.com"},{"email":"bad"}]`)
	if code, out := runCmd(t, env, "import", "--file", strict, "--strict"); code != 1 || !strings.Contains(out, "nothing uploaded") {
		t.Errorf("--strict: %d %s", code, out)
	}
}

// Authgear's reasons for failing a record are kept in the report: field,
// kind and details, not "Invalid/ValidationFailed: invalid value".
func TestImportReportKeepsAuthgearReasons(t *testing.T) {
	_, env := setup(t, authgeartest.Options{Roles: []string{"editor"}})
	file := writeFile(t, "users.ndjson", `{"email":"ok@example.com","roles":["editor"]}`+"\n"+`{"email":"role@example.com","roles":["legacy-admin"]}`+"\n")
	// Without --role-keys the roles are not checked here: Authgear fails it.
	code, out := runCmd(t, env, "import", "--file", file, "--poll", "5ms")
	if code != 1 || !strings.Contains(out, "failed: record 2: /roles") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	rep := readReport(t, file+".report.json")
	if len(rep.Failed) != 1 || len(rep.Failed[0].Problems) != 1 {
		t.Fatalf("failed %+v", rep.Failed)
	}
	p := rep.Failed[0].Problems[0]
	if p.Location != "/roles" || p.Kind != "RoleUnknownKeys" || p.Error != "NotFound/RoleUnknownKeys" || fmt.Sprint(p.Details["keys"]) != "[legacy-admin]" {
		t.Errorf("problem %+v", p)
	}
	// With --role-keys it is refused before upload, with the field named.
	file2 := writeFile(t, "users2.ndjson", `{"email":"role2@example.com","roles":["legacy-admin"]}`+"\n")
	code, out = runCmd(t, env, "import", "--file", file2, "--role-keys", "editor", "--poll", "5ms")
	if code != 1 || !strings.Contains(out, "1 records read, 1 refused before upload") || !strings.Contains(out, "/roles") {
		t.Fatalf("--role-keys: exit %d\n%s", code, out)
	}
}

// The report's reasons from the errors a real Authgear recorded (case 139).
func TestProblemsOfRecordedErrors(t *testing.T) {
	b, err := os.ReadFile(reference.Require(t, "authgear-responses/139-import-record-failures-completed.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Response struct {
			Body struct {
				Result adminapi.ImportJob `json:"result"`
			} `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	want := map[int]string{0: "/birthdate format", 1: "/website format", 2: "/picture format", 3: "/zoneinfo format",
		4: "/locale format", 5: "/gender minLength", 6: "/address/country type,/address/postal_code type,/address/street_address type",
		7: "/roles RoleUnknownKeys", 8: "/groups GroupUnknownKeys", 9: "/email DuplicatedIdentity", 10: "/email DuplicatedIdentity"}
	for _, d := range c.Response.Body.Result.Details {
		if d.Outcome != adminapi.OutcomeFailed {
			continue
		}
		var got []string
		for _, p := range problemsOf(d.Errors) {
			got = append(got, p.Location+" "+p.Kind)
			if p.Message == "invalid value" || p.Error == "" {
				t.Errorf("record %d: the reason is lost: %+v", d.Index, p)
			}
		}
		if strings.Join(got, ",") != want[d.Index] {
			t.Errorf("record %d: %q, want %q", d.Index, got, want[d.Index])
		}
	}
}

// A finished import leaves a state file without personal data, and running
// it again says there is nothing to do instead of repeating old counts.
func TestImportFinishedNothingToDo(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{})
	file := writeFile(t, "users.ndjson", `{"email":"private.person@example.com","name":"Private Person"}`+"\n")
	if code, out := runCmd(t, env, "import", "--file", file, "--poll", "5ms"); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	st, err := os.ReadFile(file + ".state.json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(st), "private.person") || strings.Contains(string(st), "Private Person") {
		t.Errorf("the finished state file keeps personal data:\n%s", st)
	}
	jobs := fake.Calls("import.create")
	code, out := runCmd(t, env, "import", "--file", file, "--poll", "5ms")
	if code != 0 || !strings.Contains(out, "nothing to do") || strings.Contains(out, "\ninserted 1") {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	if fake.Calls("import.create") != jobs {
		t.Errorf("the second run submitted a job")
	}
	// A changed file is a new import.
	if err := os.WriteFile(file, []byte(`{"email":"someone.else@example.com"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runCmd(t, env, "import", "--file", file, "--poll", "5ms"); code != 0 || !strings.Contains(out, "inserted 1") {
		t.Fatalf("changed file: exit %d\n%s", code, out)
	}
}

// A state file whose jobs point outside the records is refused, not
// trusted: no panic, no upload.
func TestImportCraftedStateFile(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{})
	file := writeFile(t, "users.ndjson", `{"email":"a@example.com"}`+"\n"+`{"email":"b@example.com"}`+"\n")
	req := adminapi.ImportRequest{Identifier: adminapi.IdentifierEmail, Records: []adminapi.ImportRecord{
		{Email: adminapi.Str("a@example.com")}, {Email: adminapi.Str("b@example.com")}}}
	data, _ := os.ReadFile(file)
	fp := fingerprint(data, req)
	for name, state := range map[string]string{
		"offset past the end": `{"input":"` + fp + `","chunks":[{"offset":5,"count":9,"job_id":"x"}]}`,
		"negative count":      `{"input":"` + fp + `","chunks":[{"offset":0,"count":-1}]}`,
		"detail index out of range": `{"input":"` + fp + `","chunks":[{"offset":0,"count":2,"job_id":"j",
			"job":{"id":"j","status":"completed","details":[{"index":7,"outcome":"inserted"}]}}]}`,
		"not JSON": `{"input":`,
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(file+".state.json", []byte(state), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out := runCmd(t, env, "import", "--file", file, "--poll", "5ms")
			if code != 2 || !strings.Contains(out, "damaged") {
				t.Errorf("exit %d, want 2 with a damaged state file\n%s", code, out)
			}
		})
	}
	if n := fake.Calls("import.create"); n != 0 {
		t.Errorf("%d jobs submitted on a damaged state file", n)
	}
}

// Writing the state file never follows a symlink planted where a temporary
// file used to be created (the old fixed name <state>.tmp).
func TestImportStateIgnoresPlantedSymlink(t *testing.T) {
	_, env := setup(t, authgeartest.Options{})
	file := writeFile(t, "users.ndjson", `{"email":"a@example.com"}`+"\n")
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file + ".state.json.tmp", file + ".report.json.tmp"} {
		if err := os.Symlink(victim, p); err != nil {
			t.Skip("no symlinks here:", err)
		}
	}
	if code, out := runCmd(t, env, "import", "--file", file, "--poll", "5ms"); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Errorf("the symlink's target was overwritten: %q", b)
	}
	fi, err := os.Stat(file + ".state.json")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v %v, want mode 0600", fi, err)
	}
}

// The records of recorded case 138, which a real Authgear failed 11 of 12
// inside the job (case 139): the command leaves out those it can tell
// before upload, Authgear (the fake) fails the role and group ones, whose
// keys were not given, and the report names the field of every one.
func TestImportRecordedFailures(t *testing.T) {
	b, err := os.ReadFile(reference.Require(t, "authgear-responses/138-import-record-failures.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Request struct {
			Body struct {
				Records json.RawMessage `json:"records"`
			} `json:"body"`
		} `json:"request"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	fake, env := setup(t, authgeartest.Options{})
	fake.AddUser(authgeartest.User{Email: "rec4-existing@rec.test"})
	file := writeFile(t, "case138.json", string(c.Request.Body.Records))
	code, out := runCmd(t, env, "import", "--file", file, "--poll", "5ms")
	if code != 1 || !strings.Contains(out, "12 records read, 9 refused before upload") ||
		!strings.Contains(out, "inserted 1, updated 0, skipped 0, failed 2, refused before upload 9") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	rep := readReport(t, file+".report.json")
	where := map[int]string{}
	for _, r := range append(rep.Refused, rep.Failed...) {
		var locs []string
		for _, p := range r.Problems {
			locs = append(locs, p.Location)
		}
		where[r.Line] = strings.Join(locs, ",")
	}
	want := map[int]string{1: "/birthdate", 2: "/website", 3: "/picture", 4: "/zoneinfo", 5: "/locale", 6: "/gender",
		7: "/address/country,/address/postal_code,/address/street_address", 8: "/roles", 9: "/groups",
		// The two spellings of rec4-existing: unnormalised, and the same account as each other.
		10: "/email,/email", 11: "/email,/email"}
	for line, w := range want {
		if where[line] != w {
			t.Errorf("record %d: problems at %q, want %q", line, where[line], w)
		}
	}
	if len(rep.Users) != 1 || rep.Users[0].Line != 12 || rep.Users[0].Outcome != "inserted" {
		t.Errorf("users %+v", rep.Users)
	}
}
