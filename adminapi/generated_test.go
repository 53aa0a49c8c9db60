package adminapi

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedCodeIsFresh regenerates the typed client with the pinned
// genqlient into a temporary directory and compares it with generated.go,
// so a change to schema.graphql or operations.graphql without `go generate`
// fails here.
func TestGeneratedCodeIsFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the code generator; skipped with -short")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	here, _ := os.Getwd()
	cfg, err := os.ReadFile("genqlient.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	// The same config, with inputs pointing here and the output there.
	c := string(cfg)
	c = strings.Replace(c, "schema: schema.graphql", "schema: "+filepath.Join(here, "schema.graphql"), 1)
	c = strings.Replace(c, "  - operations.graphql", "  - "+filepath.Join(here, "operations.graphql"), 1)
	if err := os.WriteFile(filepath.Join(tmp, "genqlient.yaml"), []byte(c), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gobin, "tool", "-modfile="+filepath.Join(here, "..", "internal", "tools", "go.mod"), "genqlient", filepath.Join(tmp, "genqlient.yaml"))
	cmd.Dir = here // inside the module, so -modfile applies
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running genqlient: %v\n%s", err, out)
	}
	fresh, err := os.ReadFile(filepath.Join(tmp, "generated.go"))
	if err != nil {
		t.Fatal(err)
	}
	current, err := os.ReadFile("generated.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, current) {
		t.Fatal("generated.go is stale: run `go generate ./adminapi` and commit the result")
	}
}
