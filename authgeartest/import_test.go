package authgeartest_test

import (
	"encoding/json"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
)

// Each record is refused inside the job, as the real server refuses it
// (cases 138-145), or accepted; the POST itself always answers pending.
func TestImportRecordRefusals(t *testing.T) {
	t.Parallel()
	s := authgeartest.New(t, authgeartest.Options{LoginIDKeys: []string{"email"}, Roles: []string{"editor"}, Groups: []string{"staff"}})
	taken := s.AddUser(authgeartest.User{Email: "taken@example.com"})
	tests := []struct {
		name   string
		record string
		reason string // "" for inserted
		where  string // the cause's location, for ValidationFailed
	}{
		{"birthdate", `{"email":"a@example.com","birthdate":"31/12/1990"}`, "ValidationFailed", "/birthdate"},
		{"birthdate forms", `{"email":"b@example.com","birthdate":"--12-31"}`, "", ""},
		{"website", `{"email":"c@example.com","website":"www.example.com"}`, "ValidationFailed", "/website"},
		{"picture", `{"email":"d@example.com","picture":"example.com/me.png"}`, "ValidationFailed", "/picture"},
		{"zoneinfo", `{"email":"e@example.com","zoneinfo":"GMT+8"}`, "ValidationFailed", "/zoneinfo"},
		{"zoneinfo ok", `{"email":"f@example.com","zoneinfo":"Asia/Hong_Kong"}`, "", ""},
		{"locale", `{"email":"g@example.com","locale":"en_US"}`, "ValidationFailed", "/locale"},
		{"gender", `{"email":"h@example.com","gender":""}`, "ValidationFailed", "/gender"},
		{"address", `{"email":"i@example.com","address":{"postal_code":999077}}`, "ValidationFailed", "/address/postal_code"},
		{"role", `{"email":"j@example.com","roles":["legacy-admin"]}`, "RoleUnknownKeys", ""},
		{"role ok", `{"email":"k@example.com","roles":["editor"],"groups":["staff"]}`, "", ""},
		{"group", `{"email":"l@example.com","groups":["legacy-staff"]}`, "GroupUnknownKeys", ""},
		{"case variant of an existing email", `{"email":"TAKEN@example.com"}`, "InvariantViolated", ""},
		{"NFKC variant of an existing email", `{"email":"\uff54aken@example.com"}`, "InvariantViolated", ""},
	}
	for _, tt := range tests {
		res := importAndWait(t, s, `{"identifier":"email","records":[`+tt.record+`]}`)
		d := res["details"].([]any)[0].(map[string]any)
		if tt.reason == "" {
			if d["outcome"] != "inserted" {
				t.Errorf("%s: %v", tt.name, d)
			}
			continue
		}
		errs, _ := d["errors"].([]any)
		if d["outcome"] != "failed" || len(errs) != 1 {
			t.Errorf("%s: %v", tt.name, d)
			continue
		}
		e := errs[0].(map[string]any)
		if e["reason"] != tt.reason {
			t.Errorf("%s: reason %v, want %s", tt.name, e["reason"], tt.reason)
		}
		if tt.where != "" {
			b, _ := json.Marshal(e["info"])
			var info struct{ Causes []struct{ Location string } }
			_ = json.Unmarshal(b, &info)
			if len(info.Causes) == 0 || info.Causes[0].Location != tt.where {
				t.Errorf("%s: causes %s, want location %s", tt.name, b, tt.where)
			}
		}
	}
	// The exact stored value is an existing user: skipped, or updated with
	// upsert, where a password is dropped without a word.
	res := importAndWait(t, s, `{"upsert":true,"identifier":"email","records":[{"email":"taken@example.com","password":{"type":"bcrypt","password_hash":"$2a$10$SzHs5IoxKip.bE2Qukqywui2VT9mjGGZrr6EsxCrImwRvHR6f3E82"}}]}`)
	if d := res["details"].([]any)[0].(map[string]any); d["outcome"] != "updated" || d["warnings"] != nil {
		t.Errorf("upsert: %v", d)
	}
	if mustUser(t, s, taken).PasswordHash != "" {
		t.Error("the upserted hash was kept")
	}
}
