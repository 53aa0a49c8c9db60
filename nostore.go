package agmigrate

import (
	"bufio"
	"net"
	"net/http"
)

// noStoreWriter wraps the ResponseWriter of a response that sets or clears
// tokens: when the header is written, Cache-Control says no-store, whatever
// the handler set (a handler's "public, max-age=3600" would otherwise let
// a shared cache hand one user's tokens to the next). It keeps
// http.Flusher and http.Hijacker, and Unwrap lets http.ResponseController
// reach the writer underneath.
type noStoreWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *noStoreWriter) fix() {
	if w.wrote {
		return
	}
	w.wrote = true
	h := w.Header()
	h.Set("Cache-Control", `no-cache="Set-Cookie", no-store`)
	h.Set("Pragma", "no-cache")
	h.Del("Expires")
	addVary(h, "Cookie")
}

func (w *noStoreWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		w.fix()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *noStoreWriter) Write(b []byte) (int, error) {
	w.fix()
	return w.ResponseWriter.Write(b)
}

// Flush implements http.Flusher (a no-op when the writer underneath cannot
// flush).
func (w *noStoreWriter) Flush() {
	w.fix()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack implements http.Hijacker; it fails with http.ErrNotSupported when
// the writer underneath cannot hijack.
func (w *noStoreWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.wrote = true // the server writes no header for a hijacked connection
	}
	return c, rw, err
}

// finish runs after the handler returned: one that wrote nothing still
// gets its header written by the server afterwards, with the tokens and
// whatever caching it set.
func (w *noStoreWriter) finish() { w.fix() }

// Unwrap returns the writer underneath, for http.ResponseController.
func (w *noStoreWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
