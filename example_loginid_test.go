package agmigrate_test

import (
	"fmt"

	"github.com/agmigrate/agmigrate"
)

// A legacy system whose usernames are case-sensitive ("Bob" and "bob" are
// two people) sets Authgear's identity.login_id.types.username.case_sensitive
// to true before the import, and the same rule here: the exchange then
// hands an Authgear account only to the token whose username has its exact
// case.
func ExampleLoginIDMatch() {
	match := agmigrate.LoginIDMatch{UsernameCaseSensitive: true}
	fmt.Println(match.Match("username", "Bob", "Bob"))
	fmt.Println(match.Match("username", "bob", "Bob"))
	// By default ASCII case never matters, in the local part or the
	// domain; any other character must be the very same code point.
	fmt.Println(agmigrate.LoginIDMatch{}.Match("email", "Ann@Example.COM", "ann@example.com"))
	fmt.Println(agmigrate.LoginIDMatch{}.Match("email", "\uff41nn@example.com", "ann@example.com"))
	// Output:
	// true
	// false
	// true
	// false
}
