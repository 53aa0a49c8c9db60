package adminapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/internal/reference"
)

// recordedCase is a request/response pair recorded from a real Authgear.
type recordedCase struct {
	Request struct {
		Body json.RawMessage `json:"body"`
	} `json:"request"`
	Response struct {
		Body json.RawMessage `json:"body"`
	} `json:"response"`
}

func loadCase(t *testing.T, prefix string) recordedCase {
	t.Helper()
	dir := filepath.Dir(reference.Require(t, "authgear-responses/README.md"))
	matches, _ := filepath.Glob(filepath.Join(dir, prefix+"-*.json"))
	if len(matches) != 1 {
		t.Fatalf("case %s: %d files", prefix, len(matches))
	}
	b, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var c recordedCase
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// Every record a real Authgear failed inside an import job (cases 079-086,
// 139, 145) is refused by ValidateImport before upload, at the location and
// with the kind the server reported; the records it accepted pass.
func TestValidateImportRefusesEveryRecordedFailure(t *testing.T) {
	t.Parallel()
	pairs := []struct {
		post, done string
		// together lists records the server accepted that are refused on
		// purpose: in the same request as a record that Authgear's
		// normalisation makes the same login ID.
		together []int
	}{
		{"78", "79", nil}, {"81", "82", nil}, {"83", "84", nil}, {"85", "86", nil},
		{"138", "139", nil}, {"144", "145", []int{1}},
	}
	for _, p := range pairs {
		t.Run(p.post, func(t *testing.T) {
			post, done := loadCase(t, p.post), loadCase(t, p.done)
			var body struct {
				Upsert     bool                    `json:"upsert"`
				Identifier adminapi.Identifier     `json:"identifier"`
				Records    []adminapi.ImportRecord `json:"records"`
			}
			dec := json.NewDecoder(bytes.NewReader(post.Request.Body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil {
				t.Fatal(err)
			}
			var res struct {
				Result adminapi.ImportJob `json:"result"`
			}
			if err := json.Unmarshal(done.Response.Body, &res); err != nil {
				t.Fatal(err)
			}
			// The recording's project has no roles and no groups.
			req := adminapi.ImportRequest{Identifier: body.Identifier, Upsert: body.Upsert, Records: body.Records,
				Project: adminapi.ImportProject{RoleKeys: []string{}, GroupKeys: []string{}}}
			got := map[int][]adminapi.RecordProblem{}
			for _, pr := range adminapi.ValidateImport(req) {
				got[pr.Index] = append(got[pr.Index], pr)
			}
			for _, d := range res.Result.Details {
				if d.Outcome != adminapi.OutcomeFailed {
					if len(got[d.Index]) > 0 && !slices.Contains(p.together, d.Index) {
						t.Errorf("record %d (%s by Authgear) refused: %v", d.Index, d.Outcome, got[d.Index])
					}
					continue
				}
				if len(got[d.Index]) == 0 {
					t.Errorf("record %d failed in Authgear (%v) but passed validation", d.Index, d.Errors)
					continue
				}
				for _, e := range d.Errors {
					for _, want := range expectedProblems(e) {
						if !hasProblem(got[d.Index], want) {
							t.Errorf("record %d: Authgear reported %s at %q; validation said %v", d.Index, want.Kind, want.Location, got[d.Index])
						}
					}
				}
			}
		})
	}
}

// expectedProblems turns an error Authgear reported into the problems
// validation must report.
func expectedProblems(e adminapi.APIError) []adminapi.RecordProblem {
	var out []adminapi.RecordProblem
	for _, c := range e.Causes() {
		switch c.Kind {
		case "required":
			// Authgear names the parent and lists the missing fields.
			for _, m := range c.Details["missing"].([]any) {
				out = append(out, adminapi.RecordProblem{Location: c.Location + "/" + m.(string), Kind: "required"})
			}
		case adminapi.KindDuplicatedIdentity:
			// Against an existing user: an unnormalised spelling.
			out = append(out, adminapi.RecordProblem{Location: c.Location, Kind: adminapi.KindNotNormalized})
		default:
			out = append(out, adminapi.RecordProblem{Location: c.Location, Kind: c.Kind})
		}
	}
	if e.Name == "InternalError" {
		// Case 86: a password hash that bcrypt cannot read.
		out = append(out, adminapi.RecordProblem{Location: "/password/password_hash", Kind: adminapi.KindBcrypt})
	}
	return out
}

func hasProblem(ps []adminapi.RecordProblem, want adminapi.RecordProblem) bool {
	for _, p := range ps {
		if p.Location == want.Location && (p.Kind == want.Kind ||
			want.Kind == adminapi.KindNotNormalized && p.Kind == adminapi.KindDuplicatedIdentity) {
			return true
		}
	}
	return false
}

func TestValidateImport(t *testing.T) {
	t.Parallel()
	type tc struct {
		name    string
		ident   adminapi.Identifier
		project adminapi.ImportProject
		recs    []adminapi.ImportRecord
		want    []string // "index location kind"; nil: valid
	}
	s := adminapi.Str
	email := func(e string) adminapi.ImportRecord { return adminapi.ImportRecord{Email: s(e)} }
	with := func(f func(r *adminapi.ImportRecord)) []adminapi.ImportRecord {
		r := email("ok@example.com")
		f(&r)
		return []adminapi.ImportRecord{r}
	}
	cases := []tc{
		{name: "valid record", recs: with(func(r *adminapi.ImportRecord) {
			r.Password = &adminapi.ImportPassword{Type: "bcrypt", PasswordHash: hash}
			r.Birthdate, r.Zoneinfo, r.Locale = s("1990-12-31"), s("Asia/Hong_Kong"), s("zh-Hant-HK")
			r.Website, r.Picture, r.Profile = s("https://example.com/me"), s("authgearimages:///myapp/a.png"), s("http://example.com")
			r.Address = map[string]any{"country": "HK", "postal_code": "999077", "other": 1}
			r.Roles = []string{"editor"}
		}), project: adminapi.ImportProject{RoleKeys: []string{"editor"}}},
		{name: "other birthdate forms", recs: []adminapi.ImportRecord{
			{Email: s("a@example.com"), Birthdate: s("--12-31")}, {Email: s("b@example.com"), Birthdate: s("1990")},
			{Email: s("c@example.com"), Birthdate: s("0000-12-31")}}},
		{name: "impossible date", recs: with(func(r *adminapi.ImportRecord) { r.Birthdate = s("1990-02-30") }), want: []string{"0 /birthdate format"}},
		{name: "zone without a slash", recs: with(func(r *adminapi.ImportRecord) { r.Zoneinfo = s("UTC") }), want: []string{"0 /zoneinfo format"}},
		{name: "unknown zone", recs: with(func(r *adminapi.ImportRecord) { r.Zoneinfo = s("Mars/Olympus_Mons") }), want: []string{"0 /zoneinfo format"}},
		{name: "lower-case region", recs: with(func(r *adminapi.ImportRecord) { r.Locale = s("en-us") }), want: []string{"0 /locale format"}},
		{name: "relative profile URL", recs: with(func(r *adminapi.ImportRecord) { r.Profile = s("/me") }), want: []string{"0 /profile format"}},
		{name: "ftp picture", recs: with(func(r *adminapi.ImportRecord) { r.Picture = s("ftp://example.com/a.png") }), want: []string{"0 /picture format"}},
		{name: "unclean URL path", recs: with(func(r *adminapi.ImportRecord) { r.Website = s("https://example.com/a/../b") }), want: []string{"0 /website format"}},
		{name: "empty name and empty address field", recs: with(func(r *adminapi.ImportRecord) { r.Name = s(""); r.Address = map[string]any{"locality": ""} }),
			want: []string{"0 /name minLength", "0 /address/locality minLength"}},
		{name: "roles unchecked without a list", recs: with(func(r *adminapi.ImportRecord) { r.Roles = []string{"anything"} })},
		{name: "empty role key", recs: with(func(r *adminapi.ImportRecord) { r.Roles = []string{"a", ""} }), want: []string{"0 /roles/1 minLength"}},
		{name: "unknown group", project: adminapi.ImportProject{GroupKeys: []string{"staff"}},
			recs: with(func(r *adminapi.ImportRecord) { r.Groups = []string{"staff", "legacy"} }), want: []string{"0 /groups GroupUnknownKeys"}},
		{name: "phone not E.164", recs: with(func(r *adminapi.ImportRecord) { r.PhoneNumber = s("91234567") }), want: []string{"0 /phone_number format"}},
		{name: "identifier null", recs: with(func(r *adminapi.ImportRecord) { r.Null = []string{"email", "roles"} }),
			want: []string{"0 /email type", "0 /roles type"}},
		{name: "TOTP not base32", recs: with(func(r *adminapi.ImportRecord) {
			r.MFA = &adminapi.ImportMFA{TOTP: &adminapi.ImportTOTP{Secret: "not base32!"}}
		}),
			want: []string{"0 /mfa/totp/secret format"}},
		{name: "validity range", recs: with(func(r *adminapi.ImportRecord) {
			now := mustTime("2026-01-01T00:00:00Z")
			r.AccountValidFrom, r.AccountValidUntil = &now, &now
		}), want: []string{"0 /account_valid_until range"}},
		// Login IDs, as Authgear normalises them.
		{name: "NFKC in the local part is one account", recs: []adminapi.ImportRecord{email("ff@example.com"), email("x@example.com"), email("\ufb00@example.com")},
			want: []string{"0 /email DuplicatedIdentity", "2 /email DuplicatedIdentity", "2 /email NotNormalized"}},
		{name: "a fullwidth domain is another account", recs: []adminapi.ImportRecord{email("rec1@rec.test"), email("rec1@\uff52ec.test")}},
		{name: "dots count unless ignored", recs: []adminapi.ImportRecord{email("a.b@example.com"), email("ab@example.com")}},
		{name: "dots ignored by the project", project: adminapi.ImportProject{EmailIgnoreDotSign: true},
			recs: []adminapi.ImportRecord{email("ab@example.com"), email("a.b@example.com")},
			want: []string{"0 /email DuplicatedIdentity", "1 /email DuplicatedIdentity", "1 /email NotNormalized"}},
		{name: "case-sensitive project", project: adminapi.ImportProject{EmailCaseSensitive: true},
			recs: []adminapi.ImportRecord{email("Ab@example.com"), email("ab@example.com")}},
		{name: "a shared non-identifier login ID", recs: []adminapi.ImportRecord{
			{Email: s("a@example.com"), PreferredUsername: s("alice")}, {Email: s("b@example.com"), PreferredUsername: s("ALICE")}},
			want: []string{"0 /preferred_username DuplicatedIdentity", "1 /preferred_username DuplicatedIdentity"}},
		{name: "username Authgear refuses", ident: adminapi.IdentifierUsername,
			recs: []adminapi.ImportRecord{{PreferredUsername: s("al ice")}}, want: []string{"0 /preferred_username InvalidLoginID"}},
		{name: "username upper case", ident: adminapi.IdentifierUsername,
			recs: []adminapi.ImportRecord{{PreferredUsername: s("Alice")}}, want: []string{"0 /preferred_username NotNormalized"}},
		{name: "bad identifier", ident: "email_address", recs: []adminapi.ImportRecord{email("a@example.com")}, want: []string{"-1 /identifier enum"}},
		{name: "no records", want: []string{"-1 /records minItems"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ident := c.ident
			if ident == "" {
				ident = adminapi.IdentifierEmail
			}
			var got []string
			for _, p := range adminapi.ValidateImport(adminapi.ImportRequest{Identifier: ident, Records: c.recs, Project: c.project}) {
				got = append(got, fmt.Sprintf("%d %s %s", p.Index, p.Location, p.Kind))
				if p.Problem == "" {
					t.Errorf("%v has no words", p)
				}
			}
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("problems %q, want %q", got, want)
			}
		})
	}
}

// Problems never quote the login ID they are about.
func TestValidateImportKeepsValuesOutOfMessages(t *testing.T) {
	t.Parallel()
	secret := "Very.Private.Person@example.com"
	req := adminapi.ImportRequest{Identifier: adminapi.IdentifierEmail, Records: []adminapi.ImportRecord{
		{Email: adminapi.Str(secret)}, {Email: adminapi.Str(strings.ToLower(secret))}}}
	ps := adminapi.ValidateImport(req)
	if len(ps) == 0 {
		t.Fatal("no problems")
	}
	err := (&adminapi.InvalidRecordsError{Problems: ps}).Error()
	for _, p := range ps {
		if strings.Contains(strings.ToLower(p.Problem+err), strings.ToLower(secret)) {
			t.Fatalf("a problem quotes the login ID: %q", p.Problem)
		}
	}
}

func TestNormalizeImport(t *testing.T) {
	t.Parallel()
	orig := []adminapi.ImportRecord{
		{Email: adminapi.Str("REC4-Existing@Rec.Test"), PreferredUsername: adminapi.Str("ALICE")},
		{Email: adminapi.Str("ok@example.com")},
		{Email: adminapi.Str("not-an-email")},
	}
	req := adminapi.ImportRequest{Identifier: adminapi.IdentifierEmail, Records: orig}
	out, n := adminapi.NormalizeImport(req)
	if n != 2 || *out.Records[0].Email != "rec4-existing@rec.test" || *out.Records[0].PreferredUsername != "alice" {
		t.Fatalf("%d changed: %q %q", n, *out.Records[0].Email, *out.Records[0].PreferredUsername)
	}
	if *orig[0].Email != "REC4-Existing@Rec.Test" {
		t.Error("the caller's records were modified")
	}
	if *out.Records[2].Email != "not-an-email" {
		t.Error("a value Authgear refuses was rewritten instead of left for validation")
	}
	for _, p := range adminapi.ValidateImport(out) {
		if p.Index != 2 {
			t.Errorf("after normalisation: %v", p)
		}
	}
}

// Every recorded refusal kind is refused by Import before anything is
// uploaded, with the field named.
func TestImportRefusesBeforeUpload(t *testing.T) {
	t.Parallel()
	s := adminapi.Str
	cases := []struct {
		name string
		rec  adminapi.ImportRecord
		loc  string
	}{
		{"non-bcrypt password (78)", adminapi.ImportRecord{Email: s("frank@example.com"), Password: &adminapi.ImportPassword{Type: "md5", PasswordHash: "5f4dcc3b5aa765d61d8327deb882cf99"}}, "/password/type"},
		{"missing identifier (81)", adminapi.ImportRecord{Name: s("No Email")}, "/email"},
		{"bad email (83)", adminapi.ImportRecord{Email: s("not-an-email")}, "/email"},
		{"bad bcrypt hash (85)", adminapi.ImportRecord{Email: s("gina@example.com"), Password: &adminapi.ImportPassword{Type: "bcrypt", PasswordHash: "not-a-bcrypt-hash"}}, "/password/password_hash"},
		{"birthdate (139)", adminapi.ImportRecord{Email: s("a@rec.test"), Birthdate: s("31/12/1990")}, "/birthdate"},
		{"website (139)", adminapi.ImportRecord{Email: s("a@rec.test"), Website: s("www.example.com")}, "/website"},
		{"picture (139)", adminapi.ImportRecord{Email: s("a@rec.test"), Picture: s("example.com/me.png")}, "/picture"},
		{"zoneinfo (139)", adminapi.ImportRecord{Email: s("a@rec.test"), Zoneinfo: s("GMT+8")}, "/zoneinfo"},
		{"locale (139)", adminapi.ImportRecord{Email: s("a@rec.test"), Locale: s("en_US")}, "/locale"},
		{"empty gender (139)", adminapi.ImportRecord{Email: s("a@rec.test"), Gender: s("")}, "/gender"},
		{"address types (139)", adminapi.ImportRecord{Email: s("a@rec.test"), Address: map[string]any{"street_address": 123.0}}, "/address/street_address"},
		{"unknown role (139)", adminapi.ImportRecord{Email: s("a@rec.test"), Roles: []string{"legacy-admin"}}, "/roles"},
		{"unknown group (139)", adminapi.ImportRecord{Email: s("a@rec.test"), Groups: []string{"legacy-staff"}}, "/groups"},
		{"fullwidth variant (139)", adminapi.ImportRecord{Email: s("\uff52ec4-existing@rec.test")}, "/email"},
		{"upper-case variant (145)", adminapi.ImportRecord{Email: s("REC4-Existing@rec.test")}, "/email"},
	}
	fake := authgeartest.New(t, authgeartest.Options{})
	c := fake.AdminClient()
	for _, tc := range cases {
		_, err := c.Import(ctx(t), adminapi.ImportRequest{Identifier: adminapi.IdentifierEmail, Records: []adminapi.ImportRecord{tc.rec},
			Project: adminapi.ImportProject{RoleKeys: []string{}, GroupKeys: []string{}}})
		var ire *adminapi.InvalidRecordsError
		if !errors.Is(err, adminapi.ErrInvalidRecords) || !errors.As(err, &ire) {
			t.Errorf("%s: err = %v, want refused", tc.name, err)
			continue
		}
		if !slices.ContainsFunc(ire.Problems, func(p adminapi.RecordProblem) bool { return p.Location == tc.loc }) {
			t.Errorf("%s: problems %v do not name %s", tc.name, ire.Problems, tc.loc)
		}
	}
	// Two spellings of one account in one request: both refused.
	_, err := c.Import(ctx(t), adminapi.ImportRequest{Identifier: adminapi.IdentifierEmail, Records: []adminapi.ImportRecord{
		{Email: s("rec4-existing@rec.test")}, {Email: s("rec4-existing@rec.test")}}})
	var ire *adminapi.InvalidRecordsError
	if !errors.As(err, &ire) || len(ire.Problems) != 2 || ire.Problems[0].Index != 0 || ire.Problems[1].Index != 1 {
		t.Errorf("duplicates: %v", err)
	}
	if n := fake.Calls("import.create"); n != 0 {
		t.Errorf("%d import requests sent for refused records", n)
	}
}

// The report keeps Authgear's reasons: location, kind and details per
// cause, from the recorded errors of case 139.
func TestAPIErrorCauses(t *testing.T) {
	t.Parallel()
	done := loadCase(t, "139")
	var res struct {
		Result adminapi.ImportJob `json:"result"`
	}
	if err := json.Unmarshal(done.Response.Body, &res); err != nil {
		t.Fatal(err)
	}
	want := map[int]string{
		0: "/birthdate format", 1: "/website format", 2: "/picture format", 3: "/zoneinfo format", 4: "/locale format",
		5: "/gender minLength", 6: "/address/country type|/address/postal_code type|/address/street_address type",
		7: "/roles RoleUnknownKeys", 8: "/groups GroupUnknownKeys", 9: "/email DuplicatedIdentity", 10: "/email DuplicatedIdentity",
	}
	for _, d := range res.Result.Details {
		if d.Outcome != adminapi.OutcomeFailed {
			continue
		}
		var got []string
		for _, c := range d.Errors[0].Causes() {
			got = append(got, c.Location+" "+c.Kind)
			if c.Kind == "format" && c.Details["format"] == nil {
				t.Errorf("record %d: details dropped: %+v", d.Index, c)
			}
		}
		if strings.Join(got, "|") != want[d.Index] {
			t.Errorf("record %d: causes %q, want %q", d.Index, got, want[d.Index])
		}
	}
}

// FuzzValidateImport validates records decoded from arbitrary JSON: no
// panic, every problem names a record of the request and a location, and
// after NormalizeImport no identifier is reported as unnormalised.
func FuzzValidateImport(f *testing.F) {
	f.Add([]byte(`[{"email":"A@Example.com","birthdate":"--02-30","address":{"country":1}},{"email":"a@example.com","roles":[""]}]`), uint8(0))
	f.Add([]byte(`[{"phone_number":"+85291234567","preferred_username":"ＡLICE"},{"preferred_username":"alice"}]`), uint8(2))
	f.Add([]byte(`[{"email":"x@ｒec.test","locale":"zh-hant","zoneinfo":"Etc/GMT+8","picture":"authgearimages://h/x"}]`), uint8(0))
	idents := []adminapi.Identifier{adminapi.IdentifierEmail, adminapi.IdentifierPhone, adminapi.IdentifierUsername}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		var recs []adminapi.ImportRecord
		if json.Unmarshal(data, &recs) != nil || len(recs) == 0 {
			return
		}
		req := adminapi.ImportRequest{Identifier: idents[int(which)%len(idents)], Records: recs,
			Project: adminapi.ImportProject{RoleKeys: []string{"a"}, EmailIgnoreDotSign: which&4 != 0}}
		for _, p := range adminapi.ValidateImport(req) {
			if p.Index < 0 || p.Index >= len(recs) || !strings.HasPrefix(p.Location, "/") || p.Kind == "" || p.Problem == "" {
				t.Fatalf("malformed problem %+v for %d records", p, len(recs))
			}
		}
		norm, _ := adminapi.NormalizeImport(req)
		for _, p := range adminapi.ValidateImport(norm) {
			if p.Kind == adminapi.KindNotNormalized {
				t.Fatalf("still unnormalised after NormalizeImport: %+v", p)
			}
		}
	})
}

// FuzzAPIErrorCauses reads the reasons out of arbitrary error info.
func FuzzAPIErrorCauses(f *testing.F) {
	f.Add([]byte(`{"name":"Invalid","reason":"ValidationFailed","info":{"causes":[{"location":"/x","kind":"format","details":{"error":"e"}},7]}}`))
	f.Add([]byte(`{"name":"NotFound","reason":"RoleUnknownKeys","info":{"keys":["a"]}}`))
	f.Add([]byte(`{"reason":"InvariantViolated","info":{"cause":{"kind":"DuplicatedIdentity"},"LoginIDTypeIncoming":"phone"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var e adminapi.APIError
		if json.Unmarshal(data, &e) != nil {
			return
		}
		_ = e.Causes()
	})
}

// ValidateImport finds, before upload, the records Authgear would fail
// inside the import job; NormalizeImport puts login IDs in the form
// Authgear stores, so existing users are matched.
func ExampleValidateImport() {
	req := adminapi.ImportRequest{
		Identifier: adminapi.IdentifierEmail,
		Project:    adminapi.ImportProject{RoleKeys: []string{"editor"}},
		Records: []adminapi.ImportRecord{
			{Email: adminapi.Str("Alice@Example.com"), Zoneinfo: adminapi.Str("GMT+8")},
			{Email: adminapi.Str("bob@example.com"), Roles: []string{"legacy-admin"}},
			{Email: adminapi.Str("carol@example.com"), Locale: adminapi.Str("en_US")},
		},
	}
	req, n := adminapi.NormalizeImport(req)
	fmt.Println(n, "login ID normalised")
	for _, p := range adminapi.ValidateImport(req) {
		fmt.Println(p.Index, p.Location, p.Kind)
	}
	// Output:
	// 1 login ID normalised
	// 0 /zoneinfo format
	// 1 /roles RoleUnknownKeys
	// 2 /locale format
}
