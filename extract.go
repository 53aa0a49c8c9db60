package agmigrate

import (
	"net/http"
	"strings"
)

// Extractor finds a legacy token in a request. It returns "" when there is
// none. The token is never logged.
type Extractor interface {
	Extract(r *http.Request) string
}

// ExtractorFunc adapts a function to Extractor.
type ExtractorFunc func(r *http.Request) string

// Extract calls f.
func (f ExtractorFunc) Extract(r *http.Request) string { return f(r) }

// CookieExtractor reads the legacy session from a cookie. Once exchanged,
// the middleware clears that cookie (with the Path and Domain given here).
type CookieExtractor struct {
	Name   string
	Path   string // default "/"
	Domain string
}

// Extract implements Extractor.
func (c CookieExtractor) Extract(r *http.Request) string {
	ck, err := r.Cookie(c.Name)
	if err != nil {
		return ""
	}
	return ck.Value
}

// HeaderExtractor reads the legacy token from a header, such as
// "Authorization" with Scheme "Bearer", or "X-Legacy-Token" with none.
type HeaderExtractor struct {
	Name   string
	Scheme string // e.g. "Bearer"; matched case-insensitively
}

// Extract implements Extractor.
func (h HeaderExtractor) Extract(r *http.Request) string {
	v := r.Header.Get(h.Name)
	if h.Scheme == "" {
		return strings.TrimSpace(v)
	}
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, h.Scheme) {
		return ""
	}
	return strings.TrimSpace(tok)
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) string {
	return HeaderExtractor{Name: "Authorization", Scheme: "Bearer"}.Extract(r)
}
