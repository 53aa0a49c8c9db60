package authgeartest

import (
	"net/http"
	"time"
)

// Fault is a failure injected into one endpoint. Fields combine: Latency
// delays the answer, then Drop, Status or GraphQLError decides it.
type Fault struct {
	// Latency is added before the endpoint answers.
	Latency time.Duration
	// Status answers with this HTTP status and a JSON error envelope.
	Status int
	// GraphQLError makes a GraphQL root field fail with this error (only
	// for field faults such as "createSession").
	GraphQLError *GraphQLError
	// Drop closes the connection without an answer.
	Drop bool
	// Times limits the fault to this many calls; 0 means until cleared.
	Times int
	// After lets this many calls through untouched before the fault starts.
	After int
}

// GraphQLError is an error in Authgear's GraphQL shape.
type GraphQLError struct {
	Message   string
	ErrorName string
	Reason    string
}

// SetFault injects f into an endpoint: "discovery", "jwks", "token",
// "userinfo", "graphql" (every Admin API GraphQL request), "import" (both
// import endpoints), "import.create", "import.get", or a GraphQL root field
// such as "getUserByLoginID" or "createSession".
func (s *Server) SetFault(endpoint string, f Fault) {
	s.mu.Lock()
	s.faults[endpoint] = &f
	s.mu.Unlock()
}

// ClearFault removes the fault from an endpoint.
func (s *Server) ClearFault(endpoint string) {
	s.mu.Lock()
	delete(s.faults, endpoint)
	s.mu.Unlock()
}

// takeFault returns the fault for endpoint, counting one use.
func (s *Server) takeFault(endpoint string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults[endpoint]
	if f == nil {
		return nil
	}
	if f.After > 0 {
		f.After--
		return nil
	}
	cp := *f
	if f.Times > 0 {
		f.Times--
		if f.Times == 0 {
			delete(s.faults, endpoint)
		}
	}
	return &cp
}

// applyHTTPFault runs the HTTP part of an endpoint's fault. It returns true
// when it has answered (or dropped) the request.
func (s *Server) applyHTTPFault(endpoint string, w http.ResponseWriter, r *http.Request) bool {
	f := s.takeFault(endpoint)
	return f != nil && s.applyFault(f, w, r)
}

// applyFault waits out f's latency, then drops the connection or answers
// with f's status. It returns true when the request is done with.
func (s *Server) applyFault(f *Fault, w http.ResponseWriter, r *http.Request) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	switch {
	case f.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case f.Status != 0:
		writeEnvelopeError(w, f.Status, "InternalError", "InjectedFault", "fault injected by authgeartest", nil)
		return true
	}
	return false
}
