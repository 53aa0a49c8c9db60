package authgeartest

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

//go:embed schema.graphql
var schemaSource string

// SchemaSource returns the GraphQL schema the fake serves: a subset of the
// real Admin API schema.
func SchemaSource() string { return schemaSource }

type schemaHolder struct{ schema *ast.Schema }

func loadSchema() *schemaHolder {
	sc, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: schemaSource})
	if err != nil {
		panic("authgeartest: schema.graphql: " + err.Error())
	}
	return &schemaHolder{schema: sc}
}

// maxMutationFields is Authgear's limit on mutation fields per request.
const maxMutationFields = 5

type gqlRequest struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// gqlError is one entry of the errors array. Locations and Path are kept
// as Authgear's graphql-go writes them.
type gqlError struct {
	Message    string         `json:"message"`
	Locations  []gqlLocation  `json:"locations"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type gqlLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		// Authgear serves GraphiQL here; the fake serves a stub page.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html>\n<html><head><title>GraphiQL (authgeartest)</title></head><body></body></html>\n")
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s.serveWithFault("graphql", w, r, s.serveGraphQLRequest)
}

func (s *Server) serveGraphQLRequest(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "application/json" && mt != "application/graphql" {
		http.Error(w, "invalid content type: "+ct, http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		return
	}
	var req gqlRequest
	if mt == "application/graphql" {
		req.Query = string(body)
	} else if err := json.Unmarshal(body, &req); err != nil {
		info := map[string]any{}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			info["byte_offset"] = se.Offset
		} else {
			info["byte_offset"] = len(body)
		}
		writeEnvelopeError(w, http.StatusBadRequest, "BadRequest", "InvalidJSON", err.Error(), info)
		return
	}
	s.count("graphql")
	status, resp := s.execute(w, r, req)
	if status == 0 {
		return // a fault answered already
	}
	if resp == nil {
		return
	}
	writeJSON(w, status, resp, true)
}

// execute runs one GraphQL request. A zero status means the answer was
// written (or the connection dropped) already.
func (s *Server) execute(w http.ResponseWriter, r *http.Request, req gqlRequest) (int, any) {
	doc, perr := parser.ParseQuery(&ast.Source{Input: req.Query})
	if perr != nil {
		// graphql-go's syntax errors surface as 500 from Authgear.
		writeEnvelopeError(w, http.StatusInternalServerError, "InternalError", "UnexpectedError", "unexpected error occurred", nil)
		return 0, nil
	}
	for _, op := range doc.Operations {
		if op.Operation == ast.Mutation && len(op.SelectionSet) > maxMutationFields {
			writeEnvelopeError(w, http.StatusBadRequest, "BadRequest", "BadRequest",
				fmt.Sprintf("too many mutation fields in one request: got %d, limit is %d", len(op.SelectionSet), maxMutationFields), nil)
			return 0, nil
		}
	}
	if errs := validator.Validate(s.schema.schema, doc); len(errs) > 0 {
		out := make([]gqlError, 0, len(errs))
		for _, e := range errs {
			ge := gqlError{Message: e.Message, Locations: []gqlLocation{}}
			for _, l := range e.Locations {
				ge.Locations = append(ge.Locations, gqlLocation{l.Line, l.Column})
			}
			out = append(out, ge)
		}
		return http.StatusOK, map[string]any{"data": nil, "errors": out}
	}
	op := pickOperation(doc, req.OperationName)
	if op == nil {
		return http.StatusOK, map[string]any{"data": nil, "errors": []gqlError{{Message: "unexpected error", Locations: []gqlLocation{}}}}
	}
	vars, verr := coerceVariables(s.schema.schema, op, req.Variables)
	if verr != nil {
		return http.StatusOK, map[string]any{"data": nil, "errors": []gqlError{*verr}}
	}
	ex := &executor{s: s, r: r, doc: doc, vars: vars}
	fieldFaults := map[string]*Fault{}
	var afterCommit []*Fault
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok {
			if ft := s.takeFault(f.Name); ft != nil {
				if ft.AfterCommit {
					afterCommit = append(afterCommit, ft)
					continue
				}
				if s.applyFault(ft, w, r) {
					return 0, nil
				}
				fieldFaults[f.Name] = ft
			}
		}
	}
	ex.fieldFaults = fieldFaults
	s.mu.Lock()
	data := ex.run(op)
	if len(ex.errors) > 0 {
		ex.rollback()
		ex.afterCommit = nil
	}
	s.mu.Unlock()
	for _, f := range ex.afterCommit {
		f()
	}
	if len(afterCommit) > 0 {
		s.strikeAfterCommit(afterCommit[0], w, r)
		return 0, nil
	}
	resp := map[string]any{"data": data}
	if len(ex.errors) > 0 {
		resp["errors"] = ex.errors
	}
	return http.StatusOK, resp
}

func pickOperation(doc *ast.QueryDocument, name string) *ast.OperationDefinition {
	if name == "" {
		if len(doc.Operations) == 1 {
			return doc.Operations[0]
		}
		return nil
	}
	return doc.Operations.ForName(name)
}

// coerceVariables checks and converts variables against the operation's
// declarations, with graphql-go's message for a missing one.
func coerceVariables(sc *ast.Schema, op *ast.OperationDefinition, in map[string]any) (map[string]any, *gqlError) {
	for _, def := range op.VariableDefinitions {
		if _, ok := in[def.Variable]; !ok && def.Type.NonNull && def.DefaultValue == nil {
			return nil, &gqlError{
				Message:   fmt.Sprintf("Variable \"$%s\" of required type \"%s\" was not provided.", def.Variable, def.Type.String()),
				Locations: []gqlLocation{{def.Position.Line, def.Position.Column}},
			}
		}
	}
	if in == nil {
		in = map[string]any{}
	}
	vars, err := validator.VariableValues(sc, op, in)
	if err != nil {
		msg := err.Error()
		var loc []gqlLocation
		if len(op.VariableDefinitions) > 0 {
			p := op.VariableDefinitions[0].Position
			loc = []gqlLocation{{p.Line, p.Column}}
		}
		return nil, &gqlError{Message: strings.TrimPrefix(msg, "input: "), Locations: loc}
	}
	return vars, nil
}
