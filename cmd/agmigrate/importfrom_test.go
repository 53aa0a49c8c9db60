package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/passwords"
)

// copyExport puts a sample export in a temporary directory, since the
// command writes its files next to the export.
func copyExport(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "exports", name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type fromReport struct {
	Summary struct {
		Inserted int `json:"inserted"`
	} `json:"summary"`
	Users []struct {
		LegacyID       string `json:"legacy_id"`
		Outcome        string `json:"outcome"`
		AuthgearUserID string `json:"authgear_user_id"`
	} `json:"users"`
	Export exportReport `json:"export"`
}

func readFromReport(t *testing.T, path string) (fromReport, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r fromReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r, string(b)
}

func TestImportFromKeycloak(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{Roles: []string{"editor"}, Groups: []string{"editors"}})
	file := copyExport(t, "keycloak-realm.json")
	code, out := runCmd(t, env, "import", "--from", "keycloak", file, "--custom-attributes", "department", "--poll", "5ms")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "keycloak export: 3 users; 0 bcrypt hashes in the records, 3 other hashes in "+file+".hashes.jsonl (mode 0600)") {
		t.Errorf("output:\n%s", out)
	}
	rep, raw := readFromReport(t, file+".report.json")
	if rep.Summary.Inserted != 3 {
		t.Errorf("inserted %d, want 3\n%s", rep.Summary.Inserted, raw)
	}
	// Every imported user is in the fake, with what the export carried.
	ids := map[string]string{}
	for _, u := range rep.Users {
		ids[u.LegacyID] = u.AuthgearUserID
	}
	alice, ok := fake.User(ids["b6012192-75c2-488e-b76b-bdd487bc7315"])
	if !ok || alice.Email != "alice@example.com" || alice.Username != "alice" || alice.Phone != "+442079460958" {
		t.Fatalf("alice in Authgear: %+v (%v)", alice, ok)
	}
	if alice.CustomAttributes["department"] != "wonderland" || alice.PasswordHash != "" {
		t.Errorf("alice: custom %v, password hash %q", alice.CustomAttributes, alice.PasswordHash)
	}
	// The sidecar: mode 0600, one entry per user, each verifying with
	// the passwords package.
	st, err := os.Stat(file + ".hashes.jsonl")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("sidecar: %v %v", st, err)
	}
	sf, _ := os.Open(file + ".hashes.jsonl")
	defer sf.Close()
	entries, err := passwords.ReadSidecar(sf)
	if err != nil || len(entries) != 3 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	e, ok := passwords.NewSidecar(entries).Lookup("email", "alice@example.com")
	if ok, err := e.Verify([]byte("correct horse")); !ok || err != nil {
		t.Errorf("alice's sidecar entry: %v, %v", ok, err)
	}
	// What was not carried is in the report, per user, without hashes.
	var bob *notCarriedFor
	for i := range rep.Export.NotCarried {
		if rep.Export.NotCarried[i].LegacyID == "1c79fac4-20d6-44ff-a4bf-dee2020648ea" {
			bob = &rep.Export.NotCarried[i]
		}
	}
	if bob == nil || bob.Identifier != "bob@example.com" || !strings.Contains(strings.Join(bob.Items, ";"), "credential otp") {
		t.Errorf("bob's not-carried entry: %+v", bob)
	}
	if rep.Export.Sidecar != file+".hashes.jsonl" || rep.Export.SidecarEntries != 3 || rep.Export.Provider != "keycloak" {
		t.Errorf("export section %+v", rep.Export)
	}
	if strings.Contains(raw, "qnA427fe69f") || strings.Contains(raw, "nf65EOgLrQMR") {
		t.Error("the report holds a hash")
	}
}

func TestImportFromAuth0WithHashExport(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{})
	file := copyExport(t, "auth0-users.ndjson")
	hashes := copyExport(t, "auth0-password-hashes.ndjson")
	code, out := runCmd(t, env, "import", "--from", "auth0", "--hashes", hashes, "--custom-attributes", "plan", "--poll", "5ms", file)
	// The user whose phone number has no country code is still imported,
	// without it: exit 0.
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	rep, _ := readFromReport(t, file+".report.json")
	if rep.Summary.Inserted != 5 || rep.Export.BcryptHashes != 3 || rep.Export.Sidecar != "" {
		t.Errorf("inserted %d, bcrypt %d, sidecar %q", rep.Summary.Inserted, rep.Export.BcryptHashes, rep.Export.Sidecar)
	}
	for _, u := range rep.Users {
		if u.LegacyID != "auth0|euclid" {
			continue
		}
		grace, _ := fake.User(u.AuthgearUserID)
		if grace.PasswordHash != "$2b$10$gzfrTd/vwPW2lFvPEbhZn.x2sPtp.oJSE7yZjTY.k.u9.9DIGJFkq" || !grace.Disabled || grace.Username != "ghopper" {
			t.Errorf("grace in Authgear: %+v", grace)
		}
		return
	}
	t.Error("grace is not in the report")
}

func TestImportFromFirebaseConvertOnly(t *testing.T) {
	file := copyExport(t, "firebase-users.json")
	cfg := copyExport(t, "firebase-hash-config.txt")
	// No Authgear settings: --convert-only uploads nothing.
	code, out := runCmd(t, map[string]string{}, "import", "--from", "firebase", "--firebase-hash-config", cfg, "--convert-only", file)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	b, err := os.ReadFile(file + ".authgear.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"agmigrate_legacy_id":"kYi4EvWQlQTKSfnJ3dRSP6IH3ed2"`) || !strings.Contains(lines[0], `"email":"user1@test.com"`) {
		t.Errorf("converted:\n%s", b)
	}
	if st, err := os.Stat(file + ".authgear.ndjson"); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("converted file mode: %v", err)
	}
	sf, err := os.Open(file + ".hashes.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	entries, err := passwords.ReadSidecar(sf)
	if err != nil || len(entries) != 1 {
		t.Fatalf("%d entries, %v", len(entries), err)
	}
	if ok, err := entries[0].Verify([]byte("user1password")); !ok || err != nil {
		t.Errorf("user1's entry: %v, %v", ok, err)
	}
	rep, _ := readFromReport(t, file+".report.json")
	if rep.Export.Users != 3 || len(rep.Export.NotCarried) != 2 {
		t.Errorf("export section %+v", rep.Export)
	}
}

func TestImportFromRefusesBadUsage(t *testing.T) {
	file := copyExport(t, "okta-users.json")
	for _, args := range [][]string{
		{"import", "--from", "okta"},
		{"import", "--from", "okta", file, "extra"},
		{"import", "--from", "okta", "--hashes", file, file},
		{"import", "--from", "github", file},
		{"import", "--from", "cognito", "--convert-only", file},
	} {
		if code, out := runCmd(t, map[string]string{}, args...); code != 2 {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
}

// The converted file is the same on every run, so a second run of the same
// command resumes from the state file instead of importing again.
func TestImportFromRunTwice(t *testing.T) {
	fake, env := setup(t, authgeartest.Options{})
	file := copyExport(t, "cognito-list-users.json")
	args := []string{"import", "--from", "cognito", file, "--poll", "5ms"}
	if code, out := runCmd(t, env, args...); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	first, _ := os.ReadFile(file + ".authgear.ndjson")
	code, out := runCmd(t, env, args...)
	if code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	second, _ := os.ReadFile(file + ".authgear.ndjson")
	if string(first) != string(second) {
		t.Error("the converted file changed between runs")
	}
	if n := fake.ImportJobs(); n != 1 {
		t.Errorf("%d import jobs, want 1\n%s", n, out)
	}
}
