package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/agmigrate/agmigrate/adminapi"
)

// readRecords parses the input file into records. A record that does not
// fit Authgear's format (an unknown field, a wrong type) is kept with a
// problem, so it is reported rather than aborting the whole import.
func readRecords(data []byte, format, mapping, legacyIDField string) ([]input, error) {
	var raws []map[string]any
	switch format {
	case "json":
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&raws); err != nil {
			return nil, fmt.Errorf("JSON: the file must be an array of objects: %v", err)
		}
	case "ndjson":
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				raws = append(raws, nil) // keep line numbers
				continue
			}
			var m map[string]any
			dec := json.NewDecoder(strings.NewReader(line))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				return nil, fmt.Errorf("NDJSON line %d: %v", n, err)
			}
			raws = append(raws, m)
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	case "csv":
		var err error
		if raws, err = readCSV(data, mapping); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown format %q: use json, ndjson or csv", format)
	}
	var out []input
	for i, m := range raws {
		if m == nil {
			continue
		}
		in := input{line: i + 1}
		if legacyIDField != "" {
			if v, ok := m[legacyIDField]; ok {
				in.legacyID = fmt.Sprint(v)
				delete(m, legacyIDField)
			}
		}
		in.problems = formatProblems(m)
		if in.problems == nil {
			b, _ := json.Marshal(m)
			if err := json.Unmarshal(b, &in.record); err != nil {
				in.problems = []reportProblem{typeProblem(err)}
			}
		}
		if in.problems != nil {
			in.record = adminapi.ImportRecord{}
		}
		out = append(out, in)
	}
	return out, nil
}

// recordFields are the fields of Authgear's import format; a record with
// any other is refused, as Authgear refuses it.
var recordFields = func() map[string]bool {
	m := map[string]bool{"email_verified": true, "phone_number_verified": true, "disabled": true,
		"account_valid_from": true, "account_valid_until": true, "custom_attributes": true,
		"roles": true, "groups": true, "password": true, "mfa": true}
	for f := range csvText {
		m[f] = true
	}
	m["address"] = true
	return m
}()

// formatProblems names every field outside the import format.
func formatProblems(m map[string]any) []reportProblem {
	var ps []reportProblem
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !recordFields[k] {
			ps = append(ps, reportProblem{Location: "/" + escapePointer(k), Kind: "additionalProperties",
				Message: "not a field of Authgear's import format (use --map or --legacy-id-field)"})
		}
	}
	return ps
}

// typeProblem locates a JSON type mismatch in the record.
func typeProblem(err error) reportProblem {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		loc := ""
		if te.Field != "" {
			loc = "/" + strings.ReplaceAll(te.Field, ".", "/")
		}
		return reportProblem{Location: loc, Kind: "type", Message: "must be " + jsonKind(te.Type.Kind().String()) + ", not " + te.Value}
	}
	return reportProblem{Kind: "type", Message: "not in Authgear's import format: " + err.Error()}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	}
	return goKind
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

var csvText = map[string]bool{"email": true, "phone_number": true, "preferred_username": true, "name": true,
	"given_name": true, "family_name": true, "middle_name": true, "nickname": true, "profile": true, "picture": true,
	"website": true, "gender": true, "birthdate": true, "zoneinfo": true, "locale": true}
var csvBool = map[string]bool{"email_verified": true, "phone_number_verified": true, "disabled": true}

// readCSV turns rows into import-format objects. Empty cells are left out.
func readCSV(data []byte, mapping string) ([]map[string]any, error) {
	rename := map[string]string{}
	for _, pair := range strings.Split(mapping, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		from, to, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("--map: %q is not column=field", pair)
		}
		rename[strings.TrimSpace(from)] = strings.TrimSpace(to)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("CSV header: %v", err)
	}
	fields := make([]string, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if to, ok := rename[h]; ok {
			h = to
		}
		fields[i] = h
	}
	var out []map[string]any
	for row := 1; ; row++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CSV row %d: %v", row, err)
		}
		m := map[string]any{}
		for i, v := range rec {
			if i >= len(fields) || v == "" {
				continue
			}
			f := fields[i]
			switch {
			case csvText[f]:
				m[f] = v
			case csvBool[f]:
				b, err := strconv.ParseBool(v)
				if err != nil {
					m[f] = v // reported as a type problem
				} else {
					m[f] = b
				}
			case f == "roles" || f == "groups":
				m[f] = strings.Split(v, "|")
			case f == "password_hash":
				m["password"] = map[string]any{"type": "bcrypt", "password_hash": v}
			default:
				m[f] = v // an unknown column: reported, or the legacy ID field
			}
		}
		out = append(out, m)
	}
	return out, nil
}
