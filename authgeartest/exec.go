package authgeartest

import (
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
)

// object is a GraphQL object value the executor can select fields from.
type object interface {
	typeName() string
	field(ex *executor, name string, args map[string]any) (any, *fieldErr)
}

// fieldErr is a resolver error with Authgear's extensions. A bare error
// (Authgear's answer to an unexpected failure) has no extensions, no path
// and an empty locations list.
type fieldErr struct {
	msg, name, reason string
	info              map[string]any
	bare              bool
}

// unexpected is the bare error Authgear gives when a resolver fails in a
// way it did not plan for (revoking a session that is gone, for one).
func unexpected() *fieldErr { return &fieldErr{msg: "unexpected error", bare: true} }

func invalid(msg string) *fieldErr { return &fieldErr{msg: msg, name: "Invalid", reason: "Invalid"} }

// executor runs one validated operation while holding the server's lock,
// so resolvers read and write the fake's state directly. Mutations record undo steps: like
// Authgear, which runs each request in one transaction, a request whose
// result has any error changes nothing.
type executor struct {
	s           *Server
	r           *http.Request
	doc         *ast.QueryDocument
	vars        map[string]any
	errors      []gqlError
	undo        []func()
	afterCommit []func() // run once the request has committed, outside the lock
	fieldFaults map[string]*Fault
}

func (ex *executor) rollback() {
	for i := len(ex.undo) - 1; i >= 0; i-- {
		ex.undo[i]()
	}
	ex.undo = nil
}

func (ex *executor) run(op *ast.OperationDefinition) any {
	var root object = queryRoot{}
	if op.Operation == ast.Mutation {
		root = mutationRoot{}
	}
	data, ok := ex.selectObject(root, op.SelectionSet, nil)
	if !ok {
		return nil
	}
	return data
}

// selectObject resolves a selection set on obj. ok is false when a
// non-null field failed, so the null must propagate to the parent.
func (ex *executor) selectObject(obj object, set ast.SelectionSet, path []any) (map[string]any, bool) {
	keys, fields := ex.collect(obj.typeName(), set, nil, map[string][]*ast.Field{})
	out := make(map[string]any, len(keys))
	for _, key := range keys {
		fs := fields[key]
		f := fs[0]
		if f.Name == "__typename" {
			out[key] = obj.typeName()
			continue
		}
		fpath := append(append([]any(nil), path...), key)
		var args map[string]any
		if f.Definition != nil {
			args = f.ArgumentMap(ex.vars)
		}
		val, ferr := ex.resolve(obj, f.Name, args, len(path) == 0)
		if ferr != nil {
			ex.addError(ferr, f, fpath)
			val = nil
		}
		var sub ast.SelectionSet
		for _, g := range fs {
			sub = append(sub, g.SelectionSet...)
		}
		v, ok := ex.complete(f.Definition.Type, val, sub, fpath)
		if !ok {
			if f.Definition.Type.NonNull {
				return nil, false
			}
			v = nil
		}
		out[key] = v
	}
	return out, true
}

func (ex *executor) resolve(obj object, name string, args map[string]any, root bool) (any, *fieldErr) {
	if root {
		ex.s.count(name)
		if _, isMutation := obj.(mutationRoot); isMutation && !ex.s.adminMutationAllowedLocked() {
			return nil, &fieldErr{msg: "request rate limited", name: "TooManyRequest", reason: "RateLimited"}
		}
		if ft := ex.fieldFaults[name]; ft != nil && ft.GraphQLError != nil {
			e := ft.GraphQLError
			return nil, &fieldErr{msg: e.Message, name: e.ErrorName, reason: e.Reason}
		}
	}
	return obj.field(ex, name, args)
}

func (ex *executor) addError(fe *fieldErr, f *ast.Field, path []any) {
	if fe.bare {
		ex.errors = append(ex.errors, gqlError{Message: fe.msg, Locations: []gqlLocation{}})
		return
	}
	ge := gqlError{Message: fe.msg, Locations: []gqlLocation{{f.Position.Line, f.Position.Column}}, Path: path}
	if fe.name != "" {
		ge.Extensions = map[string]any{"errorName": fe.name, "reason": fe.reason}
		if fe.info != nil {
			ge.Extensions["info"] = fe.info
		}
	}
	ex.errors = append(ex.errors, ge)
}

// complete turns a resolved value into its response form for typ.
func (ex *executor) complete(typ *ast.Type, val any, set ast.SelectionSet, path []any) (any, bool) {
	if val == nil {
		return nil, !typ.NonNull
	}
	if typ.Elem != nil {
		items, _ := val.([]any)
		out := make([]any, len(items))
		for i, it := range items {
			v, ok := ex.complete(typ.Elem, it, set, append(append([]any(nil), path...), i))
			if !ok {
				return nil, false
			}
			out[i] = v
		}
		return out, true
	}
	if obj, ok := val.(object); ok {
		m, ok := ex.selectObject(obj, set, path)
		if !ok {
			return nil, false
		}
		return m, true
	}
	return val, true
}

// collect gathers the fields a selection set selects on an object of type
// typ, in order, merging fields with the same response key.
func (ex *executor) collect(typ string, set ast.SelectionSet, keys []string, fields map[string][]*ast.Field) ([]string, map[string][]*ast.Field) {
	for _, sel := range set {
		if skipped(sel, ex.vars) {
			continue
		}
		switch sel := sel.(type) {
		case *ast.Field:
			key := sel.Alias
			if key == "" {
				key = sel.Name
			}
			if _, seen := fields[key]; !seen {
				keys = append(keys, key)
			}
			fields[key] = append(fields[key], sel)
		case *ast.InlineFragment:
			if ex.applies(typ, sel.TypeCondition) {
				keys, fields = ex.collect(typ, sel.SelectionSet, keys, fields)
			}
		case *ast.FragmentSpread:
			fd := ex.doc.Fragments.ForName(sel.Name)
			if fd != nil && ex.applies(typ, fd.TypeCondition) {
				keys, fields = ex.collect(typ, fd.SelectionSet, keys, fields)
			}
		}
	}
	return keys, fields
}

func (ex *executor) applies(typ, cond string) bool {
	if cond == "" || cond == typ {
		return true
	}
	def := ex.s.schema.schema.Types[typ]
	if def == nil {
		return false
	}
	for _, i := range def.Interfaces {
		if i == cond {
			return true
		}
	}
	return false
}

func skipped(sel ast.Selection, vars map[string]any) bool {
	var dirs ast.DirectiveList
	switch sel := sel.(type) {
	case *ast.Field:
		dirs = sel.Directives
	case *ast.InlineFragment:
		dirs = sel.Directives
	case *ast.FragmentSpread:
		dirs = sel.Directives
	}
	if d := dirs.ForName("skip"); d != nil && d.ArgumentMap(vars)["if"] == true {
		return true
	}
	if d := dirs.ForName("include"); d != nil && d.ArgumentMap(vars)["if"] == false {
		return true
	}
	return false
}
