package agmigrate

import (
	"crypto/sha256"
	"encoding/binary"
	"net/http"
	"strings"

	"github.com/agmigrate/agmigrate/verifier"
)

// Rollout picks the users a rolling migration moves now; the others stay
// on the legacy system and are served as legacy users.
type Rollout struct {
	// Percent of users (0 to 100) moved, by a stable bucket of their login
	// ID: a user stays in or out as Percent grows, never flapping.
	Percent float64
	// Include, when set, moves every user it returns true for, whatever
	// their bucket (staff first, one tenant, …).
	Include func(id *verifier.LegacyIdentity, r *http.Request) bool
	// Seed changes which users fall in which bucket. Default "".
	Seed string
}

// Bucket returns the stable bucket, in [0, 100), of a login ID.
func (ro *Rollout) Bucket(loginID string) float64 {
	h := sha256.Sum256([]byte("agmigrate/rollout\x00" + ro.Seed + "\x00" + strings.ToLower(loginID)))
	return float64(binary.BigEndian.Uint64(h[:8])%10000) / 100
}

func (ro *Rollout) includes(id *verifier.LegacyIdentity, r *http.Request) bool {
	if ro == nil {
		return true
	}
	if ro.Include != nil && ro.Include(id, r) {
		return true
	}
	return ro.Bucket(id.LoginID) < ro.Percent
}
