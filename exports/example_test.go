package exports_test

import (
	"fmt"
	"os"

	"github.com/agmigrate/agmigrate/exports"
)

// Reading a Keycloak realm export: records for the User Import API, hashes
// for the sidecar, and what each user leaves behind.
func ExampleRead() {
	f, err := os.Open("../testdata/exports/keycloak-realm.json")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	users, err := exports.Read(exports.Keycloak, f, exports.Options{CustomAttributes: []string{"department"}})
	if err != nil {
		panic(err)
	}
	for _, u := range users {
		fmt.Println(*u.Record.Email, u.Hash.Format, len(u.NotCarried))
	}
	fmt.Println(len(exports.SidecarEntries(users)), "sidecar entries")
	// Output:
	// alice@example.com pbkdf2-phc 2
	// bob@example.com argon2id 2
	// carol@example.com pbkdf2-phc 0
	// 3 sidecar entries
}
