package exports

import (
	"strings"
	"testing"
)

// Auth0 lets two accounts hold one email in different connections: a
// social login (Google, verified) and a database account anyone could sign
// up for without confirming the address. The hash export is joined by user
// ID, then by email; the email fallback must never give one account's
// hash to another: the victim's record would be imported with the
// attacker's password (and the victim's verified email), and the attacker
// would sign in to it at Authgear.
func TestAttackAuth0EmailJoinStealsHash(t *testing.T) {
	const attackerHash = "$2b$10$8fCTqZqd7MjrXC7LA/WdKum0qNMwIdUpuKcPGdmpqOCxKz0X.Ggpi"
	victimSocial := `{"user_id":"google-oauth2|1","email":"victim@example.com","email_verified":true,"identities":[{"connection":"google-oauth2","provider":"google-oauth2","user_id":"1","isSocial":true}]}`
	victimOtherDB := `{"user_id":"auth0|bbbbbbbbbbbbbbbbbbbbbbbb","email":"victim@example.com","email_verified":true,"identities":[{"connection":"Staff","provider":"auth0","user_id":"bbbbbbbbbbbbbbbbbbbbbbbb","isSocial":false}]}`
	attacker := `{"user_id":"auth0|aaaaaaaaaaaaaaaaaaaaaaaa","email":"victim@example.com","email_verified":false,"identities":[{"connection":"Open-Signup","provider":"auth0","user_id":"aaaaaaaaaaaaaaaaaaaaaaaa","isSocial":false}]}`
	attackerHashLine := `{"_id":{"$oid":"aaaaaaaaaaaaaaaaaaaaaaaa"},"email_verified":false,"email":"victim@example.com","passwordHash":"` + attackerHash + `","tenant":"t","connection":"Open-Signup","_tmp_is_unique":true}`
	// The look-alike: a database account whose address has the Kelvin sign.
	kelvin := `{"user_id":"auth0|cccccccccccccccccccccccc","email":"\u212aate@example.com","email_verified":true,"identities":[{"connection":"Open-Signup","provider":"auth0","user_id":"cccccccccccccccccccccccc","isSocial":false}]}`
	kateHashLine := `{"_id":{"$oid":"dddddddddddddddddddddddd"},"email_verified":true,"email":"kate@example.com","passwordHash":"` + attackerHash + `","tenant":"t","connection":"Open-Signup","_tmp_is_unique":true}`

	for _, c := range []struct {
		name, bulk, hashes string
		victimID           string
	}{
		{"social victim before the attacker", victimSocial + "\n" + attacker, attackerHashLine, "google-oauth2|1"},
		{"social victim, attacker not in the bulk export", victimSocial, attackerHashLine, "google-oauth2|1"},
		{"database victim of another connection", victimOtherDB + "\n" + attacker, attackerHashLine, "auth0|bbbbbbbbbbbbbbbbbbbbbbbb"},
		{"database victim of another connection, attacker not in the bulk export", victimOtherDB, attackerHashLine, "auth0|bbbbbbbbbbbbbbbbbbbbbbbb"},
		{"Unicode case fold", kelvin, kateHashLine, "auth0|cccccccccccccccccccccccc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			users, err := ReadAuth0(strings.NewReader(c.bulk), Options{Auth0Hashes: strings.NewReader(c.hashes)})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range users {
				if u.LegacyID == c.victimID && u.Record.Password != nil {
					t.Errorf("%s got another account's password hash", u.LegacyID)
				}
			}
		})
	}

	// The fallback still joins what it is for: a database user whose hash
	// line carries no ID the bulk export knows, in the same connection.
	bulk := `{"user_id":"auth0|custom-id-1","email":"ada@example.com","email_verified":true,"identities":[{"connection":"Username-Password-Authentication","provider":"auth0","user_id":"custom-id-1","isSocial":false}]}`
	hashes := `{"_id":{"$oid":"eeeeeeeeeeeeeeeeeeeeeeee"},"email":"Ada@example.com","passwordHash":"` + attackerHash + `","connection":"Username-Password-Authentication"}`
	users, err := ReadAuth0(strings.NewReader(bulk), Options{Auth0Hashes: strings.NewReader(hashes)})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].Record.Password == nil {
		t.Errorf("the same-connection email join no longer works: %d users", len(users))
	}
}
