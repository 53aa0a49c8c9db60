package passwords

import (
	"errors"
	"fmt"
	"testing"
)

// argon2's cost is its memory times its passes. Each bound alone admits
// m = 256 MiB with t = 10: measured at 2.5 times a bcrypt cost-14 check in
// the same run (the check the limits call "about a second"). The product
// is bounded too, at MaxArgon2Work, so the costliest accepted hash stays
// near bcrypt 14, while what real systems write (PHP's 64 MiB × 4,
// libsodium's MODERATE 256 MiB × 3, Django's 100 MiB × 2, Keycloak's
// 7 MiB × 5) still passes.
func TestAttackArgon2MemoryTimesPasses(t *testing.T) {
	const salt, key = "c29tZXNhbHQ", "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	for _, c := range []struct {
		m, t int
		want error
	}{
		{MaxArgon2Memory, 10, ErrTooCostly},
		{MaxArgon2Memory, 5, ErrTooCostly},
		{MaxArgon2Memory / 2, 9, ErrTooCostly},
		{MaxArgon2Memory, 4, nil},
		{MaxArgon2Memory, 3, nil},
		{65536, 4, nil},
		{102400, 2, nil},
		{7168, 5, nil},
		{65536, 10, nil},
	} {
		h := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=1$%s$%s", c.m, c.t, salt, key)
		_, err := Parse(h)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("m=%d t=%d: %v, want %v", c.m, c.t, err, c.want)
		}
	}
}
