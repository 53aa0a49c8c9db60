package passwords_test

import (
	"fmt"
	"os"

	"github.com/agmigrate/agmigrate/passwords"
)

// A self-describing hash string: Verify finds the format.
func ExampleVerify() {
	ok, err := passwords.Verify("$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", []byte("password"))
	fmt.Println(ok, err)
	// Output: true <nil>
}

// Firebase hashes need the project's hash parameters.
func ExampleFirebaseScrypt() {
	params := passwords.FirebaseParams{
		SignerKey:     "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
		SaltSeparator: "Bw==",
		Rounds:        8,
		MemCost:       14,
	}
	v, err := passwords.FirebaseScrypt(params, "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==", "42xEC+ixf3L2lw==")
	if err != nil {
		panic(err)
	}
	ok, _ := v.Verify([]byte("user1password"))
	fmt.Println(v.Format(), ok)
	// Output: firebase-scrypt true
}

// A login handler loads the sidecar once, then checks the typed password
// of a user who has not set one in Authgear yet.
func ExampleSidecar() {
	f, err := os.Open("../testdata/passwords/sidecar.jsonl")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	entries, err := passwords.ReadSidecar(f)
	if err != nil {
		panic(err)
	}
	sidecar := passwords.NewSidecar(entries)

	entry, found := sidecar.Lookup("email", "WP@example.com")
	ok, err := entry.Verify([]byte("test12345"))
	fmt.Println(found, entry.Format, ok, err)
	// Output: true phpass true <nil>
}
