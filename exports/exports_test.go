package exports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/passwords"
)

func open(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "exports", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func byLegacyID(t *testing.T, users []User) map[string]User {
	t.Helper()
	m := map[string]User{}
	for _, u := range users {
		if _, dup := m[u.LegacyID]; dup {
			t.Fatalf("legacy ID %s twice", u.LegacyID)
		}
		m[u.LegacyID] = u
	}
	return m
}

// recordJSON is the record as it is uploaded, for comparing field by field.
func recordJSON(t *testing.T, r adminapi.ImportRecord) map[string]any {
	t.Helper()
	b, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func wantRecord(t *testing.T, u User, want string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	got := recordJSON(t, u.Record)
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s record\n got %s\nwant %s", u.LegacyID, gb, wb)
	}
}

func wantNotCarried(t *testing.T, u User, parts ...string) {
	t.Helper()
	all := strings.Join(u.NotCarried, "\n")
	for _, p := range parts {
		if !strings.Contains(all, p) {
			t.Errorf("%s: not-carried list lacks %q:\n%s", u.LegacyID, p, all)
		}
	}
	if len(parts) == 0 && len(u.NotCarried) > 0 {
		t.Errorf("%s: nothing should be left behind, got %q", u.LegacyID, u.NotCarried)
	}
}

// checkHash verifies a sidecar entry with the passwords package, the way a
// login handler would.
func checkHash(t *testing.T, u User, key, loginID, password string, format passwords.Format) {
	t.Helper()
	if u.Hash == nil {
		t.Fatalf("%s: no sidecar entry", u.LegacyID)
	}
	e := *u.Hash
	if e.LoginIDKey != key || e.LoginID != loginID || e.LegacyID != u.LegacyID || e.Format != format {
		t.Errorf("%s: entry %s/%s/%s/%s", u.LegacyID, e.LoginIDKey, e.LoginID, e.LegacyID, e.Format)
	}
	if ok, err := e.Verify([]byte(password)); !ok || err != nil {
		t.Errorf("%s: the exported hash does not verify its password: %v, %v", u.LegacyID, ok, err)
	}
	if ok, _ := e.Verify([]byte(password + "?")); ok {
		t.Errorf("%s: a wrong password verifies", u.LegacyID)
	}
	if u.Record.Password != nil {
		t.Errorf("%s: a non-bcrypt hash in the record", u.LegacyID)
	}
}

func TestAuth0BulkAndHashExports(t *testing.T) {
	users, err := ReadAuth0(open(t, "auth0-users.ndjson"), Options{
		CustomAttributes: []string{"plan"},
		Auth0Hashes:      open(t, "auth0-password-hashes.ndjson"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 5 {
		t.Fatalf("%d users, want 4 from the bulk export and 1 only in the hash export", len(users))
	}
	m := byLegacyID(t, users)
	ada := m["auth0|5f7c8ec7c33c6c004bbafe82"]
	wantRecord(t, ada, `{"email":"ada@example.com","email_verified":true,"phone_number":"+447700900123","phone_number_verified":false,
		"name":"Ada Lovelace","given_name":"Ada","family_name":"Lovelace","nickname":"ada","picture":"https://s.gravatar.com/avatar/ada.png",
		"custom_attributes":{"plan":"pro"},
		"password":{"type":"bcrypt","password_hash":"$2b$10$8fCTqZqd7MjrXC7LA/WdKum0qNMwIdUpuKcPGdmpqOCxKz0X.Ggpi"}}`)
	wantNotCarried(t, ada, "user_metadata.theme", "app_metadata.roles")
	// Joined by alt_id: auth0|euclid; blocked becomes disabled; Auth0's
	// default name (the email) is left out.
	grace := m["auth0|euclid"]
	wantRecord(t, grace, `{"email":"grace@example.com","email_verified":false,"preferred_username":"ghopper","nickname":"grace","disabled":true,
		"password":{"type":"bcrypt","password_hash":"$2b$10$gzfrTd/vwPW2lFvPEbhZn.x2sPtp.oJSE7yZjTY.k.u9.9DIGJFkq"}}`)
	wantNotCarried(t, grace)
	if err := passwordsBcrypt(grace.Record.Password.PasswordHash, "auth0-pass-grace"); err != nil {
		t.Error(err)
	}
	wantNotCarried(t, m["google-oauth2|103547991597142817347"], "identity google-oauth2: a social login")
	nohash := m["auth0|6001a1b2c3d4e5f601234567"]
	wantNotCarried(t, nohash, "phone_number: not an international number", "password: Auth0's bulk export holds no hashes")
	if nohash.Record.PhoneNumber != nil {
		t.Error("a national phone number was carried")
	}
	orphan := m["auth0|60a0b0c0d0e0f00112233445"]
	wantRecord(t, orphan, `{"email":"orphan@example.com","email_verified":false,"password":{"type":"bcrypt","password_hash":"$2b$10$8fCTqZqd7MjrXC7LA/WdKum0qNMwIdUpuKcPGdmpqOCxKz0X.Ggpi"}}`)
	wantNotCarried(t, orphan, "only in the password hash export")
	if SidecarEntries(users) != nil {
		t.Error("Auth0's bcrypt hashes belong in the records, not the sidecar")
	}
}

func passwordsBcrypt(hash, password string) error {
	ok, err := passwords.Verify(hash, []byte(password))
	if err == nil && !ok {
		return os.ErrInvalid
	}
	return err
}

func TestFirebaseAuthExport(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join("..", "testdata", "exports", "firebase-hash-config.txt"))
	if err != nil {
		t.Fatal(err)
	}
	params, err := ParseFirebaseHashConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if params.Rounds != 8 || params.MemCost != 14 || params.SaltSeparator != "Bw==" {
		t.Fatalf("params %+v", params)
	}
	users, err := ReadFirebase(open(t, "firebase-users.json"), Options{CustomAttributes: []string{"tier"}, Firebase: &params})
	if err != nil {
		t.Fatal(err)
	}
	m := byLegacyID(t, users)
	u1 := m["kYi4EvWQlQTKSfnJ3dRSP6IH3ed2"]
	wantRecord(t, u1, `{"email":"user1@test.com","email_verified":false,"name":"Test User 1","custom_attributes":{"tier":"gold"}}`)
	wantNotCarried(t, u1, "customAttributes.admin")
	checkHash(t, u1, "email", "user1@test.com", "user1password", passwords.FormatFirebaseScrypt)
	wantNotCarried(t, m["Ty6KuzzgqhcHAb0l3mshjuYnsyy2"], "identity google.com")
	phoneOnly := m["p4H0neOnlyUs3r000000000000a1"]
	wantRecord(t, phoneOnly, `{"phone_number":"+16505550101","phone_number_verified":true,"disabled":true}`)
	if es := SidecarEntries(users); len(es) != 1 || es[0].Verified {
		t.Errorf("sidecar entries %+v, want 1 whose address the export says is unconfirmed", es)
	}

	// Without the project's parameters the hash cannot be carried.
	users, err = ReadFirebase(open(t, "firebase-users.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if u := byLegacyID(t, users)["kYi4EvWQlQTKSfnJ3dRSP6IH3ed2"]; u.Hash != nil || !strings.Contains(strings.Join(u.NotCarried, ";"), "hash parameters were not given") {
		t.Errorf("without parameters: hash %v, not carried %q", u.Hash, u.NotCarried)
	}
	// The JSON form of the parameters reads too.
	if p, err := ParseFirebaseHashConfig([]byte(`{"base64_signer_key":"AAAA","base64_salt_separator":"Bw==","rounds":8,"mem_cost":14}`)); err != nil || p.SignerKey != "AAAA" {
		t.Errorf("JSON params: %+v, %v", p, err)
	}
	if _, err := ParseFirebaseHashConfig([]byte("hash_config { algorithm: HMAC_SHA256, base64_signer_key: AAAA, rounds: 8, mem_cost: 14 }")); err == nil {
		t.Error("a non-SCRYPT config was accepted")
	}
}

func TestCognitoListUsers(t *testing.T) {
	users, err := ReadCognito(open(t, "cognito-list-users.json"), Options{CustomAttributes: []string{"tenant_id"}})
	if err != nil {
		t.Fatal(err)
	}
	m := byLegacyID(t, users)
	mary := m["7c2f1e0a-91d4-4b8e-9a0b-0f1e2d3c4b5a"]
	wantRecord(t, mary, `{"email":"mary@example.com","email_verified":true,"phone_number":"+12065550100","phone_number_verified":false,
		"given_name":"Mary","family_name":"Major","locale":"en-US","address":{"formatted":"1 Main St, Seattle"},"custom_attributes":{"tenant_id":"t-42"}}`)
	wantNotCarried(t, mary, "custom.legacy_flag", "password: Cognito does not export password hashes")
	gus := m["0d9e8f7a-6b5c-4d3e-2f1a-0b9c8d7e6f5a"]
	wantRecord(t, gus, `{"email":"gus@example.com","email_verified":false,"disabled":true}`)
	wantNotCarried(t, gus, "identity: a federated")
	// Pages gathered into an array read the same.
	b, _ := os.ReadFile(filepath.Join("..", "testdata", "exports", "cognito-list-users.json"))
	paged, err := ReadCognito(strings.NewReader("["+string(b)+","+string(b)+"]"), Options{})
	if err != nil || len(paged) != 4 {
		t.Errorf("two pages: %d users, %v", len(paged), err)
	}
}

func TestOktaUsersAPI(t *testing.T) {
	users, err := ReadOkta(open(t, "okta-users.json"), Options{CustomAttributes: []string{"department"}})
	if err != nil {
		t.Fatal(err)
	}
	m := byLegacyID(t, users)
	isaac := m["00ub0oNGTSWTBKOLGLNR"]
	wantRecord(t, isaac, `{"email":"isaac.brock@example.com","phone_number":"+15554151337","name":"Isaac Brock","given_name":"Isaac","family_name":"Brock",
		"zoneinfo":"America/Los_Angeles","locale":"en-US","address":{"locality":"San Francisco","country":"US"},"custom_attributes":{"department":"Engineering"}}`)
	wantNotCarried(t, isaac, "password: Okta does not export password hashes")
	jo := m["00u1f96ECLNVOKVMUSEA"]
	wantRecord(t, jo, `{"email":"jo@example.com","preferred_username":"jo.ad","name":"Jo Ad","given_name":"Jo","family_name":"Ad","disabled":true}`)
	wantNotCarried(t, jo, "mobilePhone: not an international number", "identity ACTIVE_DIRECTORY")
}

func TestKeycloakRealmExport(t *testing.T) {
	users, err := ReadKeycloak(open(t, "keycloak-realm.json"), Options{CustomAttributes: []string{"department"}})
	if err != nil {
		t.Fatal(err)
	}
	m := byLegacyID(t, users)
	alice := m["b6012192-75c2-488e-b76b-bdd487bc7315"]
	wantRecord(t, alice, `{"email":"alice@example.com","email_verified":true,"preferred_username":"alice","phone_number":"+442079460958",
		"name":"Alice Liddell","given_name":"Alice","family_name":"Liddell","locale":"en","custom_attributes":{"department":"wonderland"},
		"roles":["editor"],"groups":["editors"]}`)
	wantNotCarried(t, alice, "attributes.nicknames", "clientRoles.account")
	checkHash(t, alice, "email", "alice@example.com", "correct horse", passwords.FormatPBKDF2PHC)

	bob := m["1c79fac4-20d6-44ff-a4bf-dee2020648ea"]
	wantRecord(t, bob, `{"email":"bob@example.com","email_verified":false,"disabled":true}`)
	wantNotCarried(t, bob, "credential otp", "identity github")
	checkHash(t, bob, "email", "bob@example.com", "password", passwords.FormatArgon2id)

	carol := m["4142fff7-35d4-4467-8434-346fbac50374"]
	checkHash(t, carol, "email", "carol@example.com", "correct horse", passwords.FormatPBKDF2PHC)

	// Filed under usernames when the import's identifier is the username.
	users, err = ReadKeycloak(open(t, "keycloak-realm.json"), Options{Identifier: adminapi.IdentifierUsername, NoRoles: true})
	if err != nil {
		t.Fatal(err)
	}
	m = byLegacyID(t, users)
	if e := m["b6012192-75c2-488e-b76b-bdd487bc7315"].Hash; e == nil || e.LoginIDKey != "username" || e.LoginID != "alice" {
		t.Errorf("entry %+v", e)
	}
	if r := m["b6012192-75c2-488e-b76b-bdd487bc7315"].Record; r.Roles != nil || r.Groups != nil {
		t.Errorf("NoRoles: roles %v groups %v", r.Roles, r.Groups)
	}
	// bob's username is his email: no username, so no entry for him.
	if u := m["1c79fac4-20d6-44ff-a4bf-dee2020648ea"]; u.Hash != nil || !slices.ContainsFunc(u.NotCarried, func(s string) bool { return strings.Contains(s, "no preferred_username") }) {
		t.Errorf("bob: %+v %q", u.Hash, u.NotCarried)
	}
}

// Nothing a reader says about a user holds a hash.
func TestNotCarriedNeverHoldsHashes(t *testing.T) {
	params, _ := ParseFirebaseHashConfig([]byte("hash_config { base64_signer_key: AAAA, base64_salt_separator: Bw==, rounds: 99, mem_cost: 14 }"))
	users, err := ReadFirebase(open(t, "firebase-users.json"), Options{Firebase: &params})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		for _, s := range u.NotCarried {
			if strings.Contains(s, "lSrfV15cpx95") || strings.Contains(s, "42xEC") || strings.Contains(s, "AAAA") {
				t.Errorf("%q holds secret material", s)
			}
		}
	}
	if u := byLegacyID(t, users)["kYi4EvWQlQTKSfnJ3dRSP6IH3ed2"]; u.Hash != nil {
		t.Error("a hash beyond the bounds was filed")
	}
}

func TestReadRefusesOtherFiles(t *testing.T) {
	for _, p := range Providers {
		for _, in := range []string{"not json", `{"x":1}`, "[1,2]"} {
			if p == Auth0 && in == `{"x":1}` {
				continue // an Auth0 line with no known field is an empty user
			}
			if _, err := Read(p, strings.NewReader(in), Options{}); err == nil {
				t.Errorf("%s accepted %q", p, in)
			}
		}
	}
	if _, err := Read("github", strings.NewReader("{}"), Options{}); err == nil {
		t.Error("an unknown provider was accepted")
	}
}

func TestCognitoRefusesOtherArrays(t *testing.T) {
	// An Okta users array is JSON objects too, but no ListUsers page.
	if _, err := ReadCognito(open(t, "okta-users.json"), Options{}); err == nil {
		t.Error("an Okta export read as Cognito pages")
	}
}

func TestReadersRefuseEachOthersFiles(t *testing.T) {
	files := map[Provider]string{Firebase: "firebase-users.json", Cognito: "cognito-list-users.json", Okta: "okta-users.json", Keycloak: "keycloak-realm.json"}
	for reader := range files {
		for owner, name := range files {
			if reader == owner {
				continue
			}
			if _, err := Read(reader, open(t, name), Options{}); err == nil {
				t.Errorf("the %s reader accepted %s", reader, name)
			}
		}
	}
}

// A sidecar entry says whether the export vouched for its login ID, for
// password capture to ask.
func TestSidecarEntriesCarryVerification(t *testing.T) {
	yes, no := true, false
	h := func(key, id string) *passwords.Entry {
		return &passwords.Entry{LoginIDKey: key, LoginID: id, Format: passwords.FormatPhpass, Hash: "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}
	}
	users := []User{
		{Record: adminapi.ImportRecord{EmailVerified: &yes}, Hash: h("email", "a@example.com")},
		{Record: adminapi.ImportRecord{EmailVerified: &no}, Hash: h("email", "b@example.com")},
		{Record: adminapi.ImportRecord{}, Hash: h("email", "c@example.com")},
		{Record: adminapi.ImportRecord{PhoneNumberVerified: &yes}, Hash: h("phone", "+16505550101")},
		{Record: adminapi.ImportRecord{EmailVerified: &yes}, Hash: h("username", "dora")},
	}
	var got []bool
	for _, e := range SidecarEntries(users) {
		got = append(got, e.Verified)
	}
	if want := []bool{true, false, false, true, false}; !slices.Equal(got, want) {
		t.Errorf("verified %v, want %v", got, want)
	}
}
