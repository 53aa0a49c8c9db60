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
	// Hold, when set, keeps the endpoint from answering until it is
	// closed (or the caller gives up): a slow dependency whose release the
	// test decides, so no assertion rests on the machine's speed.
	Hold <-chan struct{}
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
	// AfterCommit lets the call run to the end and keep its effects (a
	// createSession's session stays in the fake), then loses the answer:
	// Latency, then Drop or Status strike as usual, and with neither the
	// caller gets a 502. It works on GraphQL root fields, "graphql" and
	// "token". Use it to test what happens to work done by a call whose
	// caller saw it fail.
	AfterCommit bool
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

// serveWithFault runs serve under endpoint's fault: before it, or, for an
// AfterCommit fault, after it with its answer discarded.
func (s *Server) serveWithFault(endpoint string, w http.ResponseWriter, r *http.Request, serve func(http.ResponseWriter, *http.Request)) {
	f := s.takeFault(endpoint)
	switch {
	case f == nil:
		serve(w, r)
	case f.AfterCommit:
		serve(&discardWriter{h: http.Header{}}, r)
		s.strikeAfterCommit(f, w, r)
	default:
		if !s.applyFault(f, w, r) {
			serve(w, r)
		}
	}
}

// strikeAfterCommit loses the answer of a call that has committed.
func (s *Server) strikeAfterCommit(f *Fault, w http.ResponseWriter, r *http.Request) {
	cp := *f
	if !cp.Drop && cp.Status == 0 {
		cp.Status = http.StatusBadGateway
	}
	s.applyFault(&cp, w, r)
}

// discardWriter takes an answer nobody will see.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// applyFault waits out f's latency, then drops the connection or answers
// with f's status. It returns true when the request is done with.
func (s *Server) applyFault(f *Fault, w http.ResponseWriter, r *http.Request) bool {
	if f.Hold != nil {
		select {
		case <-f.Hold:
		case <-r.Context().Done():
			return true
		}
	}
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
