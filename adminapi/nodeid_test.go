package adminapi_test

import (
	"errors"
	"testing"

	"github.com/agmigrate/agmigrate/adminapi"
)

func TestNodeIDs(t *testing.T) {
	// The example from Authgear's documentation.
	const node = "VXNlcjo4ZTNlNjc4ZC0yMGRkLTQ3YWUtOGM4MS0wNjk3N2JmMGIwOTA"
	const id = "8e3e678d-20dd-47ae-8c81-06977bf0b090"
	if got := adminapi.UserNodeID(id); got != node {
		t.Errorf("UserNodeID = %s, want %s", got, node)
	}
	if got, err := adminapi.UserIDFromNodeID(node); err != nil || got != id {
		t.Errorf("UserIDFromNodeID = %s, %v", got, err)
	}
	for name, bad := range map[string]string{
		"empty":         "",
		"padded":        node + "=",
		"std base64":    "VXNlcjo4ZTNl+/",
		"raw uuid":      id,
		"other type":    adminapi.NodeID("Identity", id),
		"no colon":      "VXNlcg",
		"not a uuid":    adminapi.NodeID("User", "alice"),
		"empty id":      adminapi.NodeID("User", ""),
		"garbage bytes": "!!!",
	} {
		if _, err := adminapi.UserIDFromNodeID(bad); !errors.Is(err, adminapi.ErrInvalidNodeID) {
			t.Errorf("%s: err = %v, want ErrInvalidNodeID", name, err)
		}
	}
}

func FuzzParseNodeID(f *testing.F) {
	for _, s := range []string{"VXNlcjo4ZTNlNjc4ZC0yMGRkLTQ3YWUtOGM4MS0wNjk3N2JmMGIwOTA", "", "=", "VXNlcg", "U2Vzc2lvbjo"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, id, err := adminapi.ParseNodeID(s)
		if err != nil {
			return
		}
		// Whatever parses must encode back to the same string.
		if adminapi.NodeID(typ, id) != s {
			t.Fatalf("ParseNodeID(%q) = %q, %q; does not round-trip", s, typ, id)
		}
		if uid, err := adminapi.UserIDFromNodeID(s); err == nil && adminapi.UserNodeID(uid) != s {
			t.Fatalf("UserIDFromNodeID(%q) does not round-trip", s)
		}
	})
}
