package agenv

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"testing"
)

// The examples read every AUTHGEAR_* variable the agmigrate command reads,
// and no other: a variable added to the command (as AUTHGEAR_ADMIN_URL once
// was) fails this test until the examples read it too.
func TestSameVariablesAsTheCommand(t *testing.T) {
	src, err := os.ReadFile("../../../cmd/agmigrate/config.go")
	if err != nil {
		t.Fatal(err)
	}
	var cmd []string
	for _, m := range regexp.MustCompile(`env\("(AUTHGEAR_[A-Z_]+)"\)`).FindAllStringSubmatch(string(src), -1) {
		cmd = append(cmd, m[1])
	}
	if len(cmd) == 0 {
		t.Fatal("found no AUTHGEAR_* variable in cmd/agmigrate/config.go: update this test")
	}
	mine := slices.Clone(Names)
	slices.Sort(cmd)
	slices.Sort(mine)
	if !slices.Equal(cmd, mine) {
		t.Errorf("the command reads %v, the examples %v", cmd, mine)
	}
}

func TestRead(t *testing.T) {
	full := map[string]string{"AUTHGEAR_ENDPOINT": "https://a.example/", "AUTHGEAR_ADMIN_URL": "http://a.example:3002",
		"AUTHGEAR_PROJECT_ID": "myapp", "AUTHGEAR_ADMIN_KEY_FILE": "k.pem", "AUTHGEAR_CLIENT_ID": "c"}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

	if _, ok, why, err := Read(env(nil)); ok || err != nil || why == "" {
		t.Errorf("nothing set: ok %v, why %q, err %v; want a reason to fall back", ok, why, err)
	}
	s, ok, _, err := Read(env(full))
	if !ok || err != nil || s.Endpoint != "https://a.example" || s.AdminURL != "http://a.example:3002" {
		t.Errorf("full: %+v %v %v", s, ok, err)
	}
	partial := map[string]string{"AUTHGEAR_ENDPOINT": "https://a.example", "AUTHGEAR_ADMIN_URL": "http://a.example:3002"}
	_, ok, _, err = Read(env(partial))
	if ok || !errors.Is(err, ErrIncomplete) || !regexp.MustCompile(`AUTHGEAR_PROJECT_ID.*AUTHGEAR_ADMIN_KEY_FILE.*AUTHGEAR_CLIENT_ID`).MatchString(err.Error()) {
		t.Errorf("partial: ok %v, err %v; want every missing variable named", ok, err)
	}
}
