package adminapi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/agmigrate/agmigrate/adminapi"
	"github.com/agmigrate/agmigrate/authgeartest"
)

const hash = "$2a$10$SzHs5IoxKip.bE2Qukqywui2VT9mjGGZrr6EsxCrImwRvHR6f3E82"

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Records that together pass the 500 KB body limit are split into several
// jobs; the report maps every outcome back to its record.
func TestImportSplitsAndWaits(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{})
	existing := fake.AddUser(authgeartest.User{Email: "user-0007@example.com"})
	bio := strings.Repeat("x", 4000)
	var recs []adminapi.ImportRecord
	for i := 0; i < 300; i++ { // ~1.2 MB: three jobs
		recs = append(recs, adminapi.ImportRecord{
			Email:    adminapi.Str(fmt.Sprintf("user-%04d@example.com", i)),
			Name:     adminapi.Str(fmt.Sprintf("User %d", i)),
			Nickname: adminapi.Str(bio),
			Password: &adminapi.ImportPassword{Type: "bcrypt", PasswordHash: hash},
		})
	}
	c := fake.AdminClient()
	batch, err := c.Import(ctx(t), adminapi.ImportRequest{Identifier: adminapi.IdentifierEmail, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Jobs) < 3 {
		t.Fatalf("%d jobs for ~1.2 MB of records, want at least 3", len(batch.Jobs))
	}
	next := 0
	for _, j := range batch.Jobs {
		if j.Offset != next || j.Count == 0 {
			t.Fatalf("jobs do not cover the records in order: %+v", batch.Jobs)
		}
		next += j.Count
	}
	if next != len(recs) {
		t.Fatalf("jobs cover %d records, want %d", next, len(recs))
	}
	rep, err := c.WaitImport(ctx(t), batch, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Total != 300 || rep.Summary.Inserted != 299 || rep.Summary.Skipped != 1 {
		t.Errorf("summary %+v, want 300 total, 299 inserted, 1 skipped", rep.Summary)
	}
	for _, d := range rep.Details {
		if d.Index == 7 {
			if d.Outcome != adminapi.OutcomeSkipped || d.UserID != existing {
				t.Errorf("record 7: %s %s, want skipped %s", d.Outcome, d.UserID, existing)
			}
		} else if d.Outcome != adminapi.OutcomeInserted || d.UserID == "" {
			t.Errorf("record %d: %s", d.Index, d.Outcome)
		}
		if strings.Contains(string(d.Record), hash) {
			t.Fatalf("record %d echoes its password hash", d.Index)
		}
	}
	if u, err := c.GetUserByLoginID(ctx(t), "email", "user-0299@example.com"); err != nil || u.StandardAttributes["name"] != "User 299" {
		t.Errorf("imported user: %+v, %v", u, err)
	}
}

func TestImportUpsertAndNull(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{})
	bob := fake.AddUser(authgeartest.User{Email: "bob@example.com", StandardAttributes: map[string]any{"nickname": "bobby"}})
	c := fake.AdminClient()
	batch, err := c.Import(ctx(t), adminapi.ImportRequest{Identifier: adminapi.IdentifierEmail, Upsert: true, Records: []adminapi.ImportRecord{
		{Email: adminapi.Str("bob@example.com"), Name: adminapi.Str("Bob Updated"), Null: []string{"nickname"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.WaitImport(ctx(t), batch, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Updated != 1 || rep.Details[0].UserID != bob {
		t.Fatalf("report %+v", rep)
	}
	u, _ := fake.User(bob)
	if u.StandardAttributes["name"] != "Bob Updated" || u.StandardAttributes["nickname"] != nil {
		t.Errorf("attributes %v: name not set or nickname not removed", u.StandardAttributes)
	}
}

func TestWaitImportJobHonoursContext(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{ImportPendingPolls: 1 << 30})
	c := fake.AdminClient()
	batch, err := c.Import(ctx(t), adminapi.ImportRequest{Identifier: adminapi.IdentifierEmail, Records: []adminapi.ImportRecord{{Email: adminapi.Str("x@example.com")}}})
	if err != nil {
		t.Fatal(err)
	}
	cx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.WaitImportJob(cx, batch.Jobs[0].ID, 10*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if time.Since(start) > 30*time.Second { // a hang, not a speed check
		t.Errorf("WaitImportJob took %v to notice the deadline", time.Since(start))
	}
	if fake.Calls("import.get") < 2 {
		t.Errorf("polled %d times", fake.Calls("import.get"))
	}
}

func TestImportJobNotFound(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{})
	_, err := fake.AdminClient().ImportJob(ctx(t), "userimport_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	var he *adminapi.HTTPError
	if !errors.Is(err, adminapi.ErrImportJobNotFound) || !errors.As(err, &he) || he.StatusCode != 404 {
		t.Fatalf("err = %v", err)
	}
}

func TestImportRecordMarshalsNull(t *testing.T) {
	r := adminapi.ImportRecord{Email: adminapi.Str("a@example.com"), Null: []string{"name", "phone_number"}}
	b, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != `{"email":"a@example.com","name":null,"phone_number":null}` {
		t.Errorf("got %s", got)
	}
	r.Null = []string{"roles"}
	if _, err := r.MarshalJSON(); err == nil {
		t.Error("roles cannot be null, but marshalled")
	}
}

func TestPlanAndSubmitImport(t *testing.T) {
	t.Parallel()
	fake := authgeartest.New(t, authgeartest.Options{})
	var recs []adminapi.ImportRecord
	for i := 0; i < 200; i++ {
		recs = append(recs, adminapi.ImportRecord{Email: adminapi.Str(fmt.Sprintf("p%03d@example.com", i)), Nickname: adminapi.Str(strings.Repeat("y", 4000))})
	}
	req := adminapi.ImportRequest{Identifier: adminapi.IdentifierEmail, Records: recs}
	plan, err := adminapi.PlanImport(req)
	if err != nil || len(plan) < 2 {
		t.Fatalf("plan %v %v", plan, err)
	}
	again, _ := adminapi.PlanImport(req)
	if fmt.Sprint(plan) != fmt.Sprint(again) {
		t.Fatal("the plan is not deterministic")
	}
	c := fake.AdminClient()
	if _, err := c.SubmitImport(ctx(t), req); err == nil {
		t.Error("SubmitImport took a request over the limit")
	}
	ch := plan[0]
	job, err := c.SubmitImport(ctx(t), adminapi.ImportRequest{Identifier: req.Identifier, Records: recs[ch.Offset : ch.Offset+ch.Count]})
	if err != nil {
		t.Fatal(err)
	}
	done, err := c.WaitImportJob(ctx(t), job.ID, 5*time.Millisecond)
	if err != nil || done.Summary.Inserted != ch.Count {
		t.Fatalf("%+v %v", done, err)
	}
}
