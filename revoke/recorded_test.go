package revoke_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/internal/reference"
)

// recorded reads one recording's response body.
func recorded(t *testing.T, dir, prefix string) map[string]any {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, prefix+"-*.json"))
	if len(m) != 1 {
		t.Fatalf("recording %s: %d files", prefix, len(m))
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Response struct {
			Body map[string]any `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	return rec.Response.Body
}

func sessionNodes(t *testing.T, body map[string]any) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	node, _ := body["data"].(map[string]any)["node"].(map[string]any)
	edges, _ := node["sessions"].(map[string]any)["edges"].([]any)
	for _, e := range edges {
		id, _ := e.(map[string]any)["node"].(map[string]any)["id"].(string)
		out[id] = true
	}
	return out
}

// What the ledger relies on, checked against a real server: the session a
// createSession made is the Session node whose ID is its refresh token's
// prefix (cases 108/110 and 121-124), and revoking that node ends that one
// session (125, 129).
func TestLedgerIDsAreTheRecordedSessionIDs(t *testing.T) {
	dir := reference.Require(t, "authgear-responses")
	ledgerNode := func(prefix string) string {
		rt, _ := recorded(t, dir, prefix)["data"].(map[string]any)["createSession"].(map[string]any)["refreshToken"].(string)
		node, err := adminapi.SessionNodeIDFromRefreshToken(rt)
		if err != nil {
			t.Fatalf("%s: %v", prefix, err)
		}
		_, id, _ := adminapi.ParseNodeID(node)
		c := agmigrate.CreatedSession{SessionID: id, UserID: "9883836d-d4e0-41e3-a4c9-9e6ade0aa436", ClientID: "test-client", CreatedAt: time.Now()}
		if err := c.Validate(); err != nil || c.NodeID() != node {
			t.Fatalf("%s: ledger entry %+v: %v", prefix, c, err)
		}
		return c.NodeID()
	}
	if n := sessionNodes(t, recorded(t, dir, "110")); len(n) != 1 || !n[ledgerNode("108")] {
		t.Errorf("case 110 lists %v, not the session of case 108", n)
	}
	before := sessionNodes(t, recorded(t, dir, "124"))
	created := []string{ledgerNode("121"), ledgerNode("122"), ledgerNode("123")}
	for _, id := range created {
		if !before[id] {
			t.Errorf("case 124 does not list %s", id)
		}
	}
	after := sessionNodes(t, recorded(t, dir, "129"))
	if len(before) != 3 || len(after) != 2 || after[created[0]] || !after[created[1]] || !after[created[2]] {
		t.Errorf("before %v, after revoking the first %v", before, after)
	}
}
