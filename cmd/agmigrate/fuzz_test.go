package main

import (
	"testing"

	"github.com/agmigrate/agmigrate/adminapi"
)

// FuzzReadRecords feeds import files of every format to the reader: it
// must never panic, and every record it returns is either readable or
// refused with a reason.
func FuzzReadRecords(f *testing.F) {
	f.Add([]byte(`[{"email":"a@example.com","legacy_id":7,"roles":["x"]},null,{"address":{"country":["HK"]}}]`), uint8(0))
	f.Add([]byte("{\"email\":\"a@example.com\"}\n\nnull\n{\"password\":{\"type\":5}}\n"), uint8(1))
	f.Add([]byte("id,email,email_verified,roles,password_hash\n1,a@example.com,maybe,a|b,$2a$10$x\n2,,true,,\n"), uint8(2))
	f.Add([]byte("\ufeffemail\n\"unterminated\n"), uint8(2))
	formats := []string{"json", "ndjson", "csv"}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		ins, err := readRecords(data, formats[int(which)%len(formats)], "Mail=email", "id")
		if err != nil {
			return
		}
		for _, in := range ins {
			if in.line < 1 {
				t.Fatalf("record without a line number: %+v", in)
			}
			for _, p := range in.problems {
				if p.Message == "" {
					t.Fatalf("a problem without a reason: %+v", p)
				}
			}
		}
		// What was read goes through validation without trouble.
		req := adminapi.ImportRequest{Identifier: adminapi.IdentifierEmail}
		for _, in := range ins {
			req.Records = append(req.Records, in.record)
		}
		for _, p := range adminapi.ValidateImport(req) {
			if p.Index >= len(ins) {
				t.Fatalf("problem for record %d of %d", p.Index, len(ins))
			}
		}
	})
}

// FuzzParseState feeds state files to the parser: whatever it accepts for
// an unfinished import addresses only records of the plan.
func FuzzParseState(f *testing.F) {
	plan := []adminapi.ImportChunk{{Offset: 0, Count: 2}, {Offset: 2, Count: 1}}
	f.Add([]byte(`{"input":"x","chunks":[{"offset":0,"count":2,"job_id":"a","job":{"id":"a","details":[{"index":1}]}},{"offset":2,"count":1}]}`))
	f.Add([]byte(`{"input":"x","chunks":[{"offset":5,"count":9,"job_id":"x"}]}`))
	f.Add([]byte(`{"input":"x","finished":"2026-11-28T00:00:00Z","summary":{"read":3}}`))
	f.Add([]byte(`{"chunks":[{"offset":0,"count":2,"job_id":"a","job":{"id":"a","details":[{"index":-1}]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseState(b, plan)
		if err != nil || st.Finished != nil || len(st.Chunks) != len(plan) {
			return
		}
		for i, c := range st.Chunks {
			if c.Offset != plan[i].Offset || c.Count != plan[i].Count {
				t.Fatalf("chunk %d accepted outside the plan: %+v", i, c)
			}
			if c.Job == nil {
				continue
			}
			for _, d := range c.Job.Details {
				if d.Index < 0 || d.Index >= c.Count {
					t.Fatalf("chunk %d: detail index %d accepted for %d records", i, d.Index, c.Count)
				}
			}
		}
	})
}
