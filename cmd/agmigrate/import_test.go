package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/authgeartest"
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
	if !strings.Contains(out, "6 records read, 4 refused before upload") || !strings.Contains(out, "inserted 1, updated 0, skipped 1, failed 0, refused before upload 4") {
		t.Errorf("output:\n%s", out)
	}
	rep := readReport(t, file+".report.json")
	refused := map[string]string{}
	for _, r := range rep.Refused {
		refused[r.LegacyID] = strings.Join(r.Problems, "; ")
	}
	for id, want := range map[string]string{"L2": "bcrypt", "L3": "E.164", "L4": "same value as record", "L5": "favourite_colour"} {
		if !strings.Contains(refused[id], want) {
			t.Errorf("%s: problems %q, want mention of %q", id, refused[id], want)
		}
	}
	users := map[string]reportRecord{}
	for _, u := range rep.Users {
		users[u.LegacyID] = u
	}
	if users["L1"].Outcome != "inserted" || users["L1"].AuthgearUserID == "" || users["L6"].Outcome != "skipped" {
		t.Errorf("users %+v", rep.Users)
	}
	if _, ok := fake.User(users["L1"].AuthgearUserID); !ok {
		t.Error("the reported Authgear user does not exist")
	}
	if b, _ := os.ReadFile(file + ".report.json"); strings.Contains(string(b), bcryptHash) {
		t.Error("the report holds a password hash")
	}
}

func TestImportCSVAndNDJSON(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{})
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
		lines = append(lines, fmt.Sprintf(`{"email":"r%03d@example.com","profile":"%s"}`, i, strings.Repeat("p", 4000)))
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
