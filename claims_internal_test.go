package agmigrate

import (
	"fmt"
	"testing"
)

// A full table of creations nobody claimed (every first request went
// away) must not stop later creations from being claimed: each exchange
// still has exactly one caller told it created the session.
func TestAttackUnclaimedTableFull(t *testing.T) {
	var u unclaimed
	for i := 0; i < maxUnclaimed+10; i++ {
		u.open(fmt.Sprint("abandoned-", i))
	}
	c := u.open("new")
	if !u.take("new", u.ref("new")) || u.take("new", c) || u.claim("new") {
		t.Error("a creation opened on a full table: not claimed exactly once")
	}
	if n := len(u.m); n > maxUnclaimed {
		t.Errorf("%d unclaimed entries, bound %d", n, maxUnclaimed)
	}
}
