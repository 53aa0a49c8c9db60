package authgeartest_test

import (
	"os"
	"testing"

	"github.com/agmigrate/agmigrate/authgeartest"
	"github.com/agmigrate/agmigrate/internal/reference"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func loadSchemaFile(t *testing.T, name, src string) *ast.Schema {
	t.Helper()
	sc, err := gqlparser.LoadSchema(&ast.Source{Name: name, Input: src})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return sc
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkSubset fails for every type, field, argument, input field, enum
// value or interface in sub that the real schema lacks or types otherwise.
func checkSubset(t *testing.T, name string, sub, real *ast.Schema) {
	t.Helper()
	for tn, st := range sub.Types {
		if st.BuiltIn {
			continue
		}
		rt := real.Types[tn]
		if rt == nil {
			t.Errorf("%s: type %s is not in the real schema", name, tn)
			continue
		}
		if rt.Kind != st.Kind {
			t.Errorf("%s: %s is %s, real schema says %s", name, tn, st.Kind, rt.Kind)
			continue
		}
		for _, iface := range st.Interfaces {
			found := false
			for _, ri := range rt.Interfaces {
				found = found || ri == iface
			}
			if !found {
				t.Errorf("%s: %s implements %s only here", name, tn, iface)
			}
		}
		for _, ev := range st.EnumValues {
			if rt.EnumValues.ForName(ev.Name) == nil {
				t.Errorf("%s: enum value %s.%s is not in the real schema", name, tn, ev.Name)
			}
		}
		for _, sf := range st.Fields {
			if sf.Name == "__typename" || sf.Name == "__schema" || sf.Name == "__type" {
				continue
			}
			rf := rt.Fields.ForName(sf.Name)
			if rf == nil {
				t.Errorf("%s: field %s.%s is not in the real schema", name, tn, sf.Name)
				continue
			}
			if sf.Type.String() != rf.Type.String() {
				t.Errorf("%s: %s.%s is %s, real schema says %s", name, tn, sf.Name, sf.Type, rf.Type)
			}
			for _, sa := range sf.Arguments {
				ra := rf.Arguments.ForName(sa.Name)
				if ra == nil {
					t.Errorf("%s: argument %s.%s(%s) is not in the real schema", name, tn, sf.Name, sa.Name)
				} else if sa.Type.String() != ra.Type.String() {
					t.Errorf("%s: argument %s.%s(%s) is %s, real schema says %s", name, tn, sf.Name, sa.Name, sa.Type, ra.Type)
				}
			}
			// A required argument of the real field must be here too, or
			// operations valid here would be invalid there.
			for _, ra := range rf.Arguments {
				if ra.Type.NonNull && ra.DefaultValue == nil && sf.Arguments.ForName(ra.Name) == nil {
					t.Errorf("%s: %s.%s lacks the real schema's required argument %s", name, tn, sf.Name, ra.Name)
				}
			}
		}
		if st.Kind == ast.InputObject {
			for _, rf := range rt.Fields {
				if rf.Type.NonNull && rf.DefaultValue == nil && st.Fields.ForName(rf.Name) == nil {
					t.Errorf("%s: input %s lacks the real schema's required field %s", name, tn, rf.Name)
				}
			}
		}
	}
}

func TestSchemasAreSubsetsOfTheRealSchema(t *testing.T) {
	real := loadSchemaFile(t, "real", readFile(t, reference.Require(t, "authgear-admin-schema.graphql")))
	client := loadSchemaFile(t, "adminapi/schema.graphql", readFile(t, "../adminapi/schema.graphql"))
	fake := loadSchemaFile(t, "authgeartest/schema.graphql", authgeartest.SchemaSource())
	checkSubset(t, "adminapi/schema.graphql", client, real)
	checkSubset(t, "authgeartest/schema.graphql", fake, real)
}

// The client's operations must be valid against the real schema (they will
// be sent there) and against the fake's (the fake must be able to serve
// them).
func TestClientOperationsAreValid(t *testing.T) {
	ops := readFile(t, "../adminapi/operations.graphql")
	fake := loadSchemaFile(t, "fake", authgeartest.SchemaSource())
	if _, errs := gqlparser.LoadQuery(fake, ops); len(errs) > 0 {
		t.Errorf("operations.graphql against the fake's schema: %v", errs)
	}
	real := loadSchemaFile(t, "real", readFile(t, reference.Require(t, "authgear-admin-schema.graphql")))
	if _, errs := gqlparser.LoadQuery(real, ops); len(errs) > 0 {
		t.Errorf("operations.graphql against the real schema: %v", errs)
	}
}
