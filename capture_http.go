package agmigrate

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// CaptureForm says how Handler reads a legacy login form and tells a
// successful sign-in from a failed one.
type CaptureForm struct {
	// Succeeded says whether the legacy handler's answer (its status and
	// headers, when it writes them) means the password was accepted.
	// Required: StatusIs(http.StatusOK) for a JSON login answering 401 on
	// a wrong password, or a check for the legacy session cookie in h for
	// a form that redirects either way. A handler that re-renders its
	// form with 200 on a wrong password must not be read as succeeding on
	// 200: a wrong password taken for a right one would be set as the
	// password of a user who has none in Authgear.
	Succeeded func(status int, h http.Header) bool
	// LoginIDKey is the Authgear login ID key of the login ID field:
	// "email", "phone" or "username". Default "email".
	LoginIDKey string
	// LoginIDField is the form field with the login ID. Default: the
	// LoginIDKey ("email").
	LoginIDField string
	// PasswordField is the form field with the password. Default
	// "password".
	PasswordField string
	// MaxBodyBytes bounds the form read. A larger body goes to the legacy
	// handler whole and nothing is captured. Default 64 KiB.
	MaxBodyBytes int64
}

// StatusIs returns a CaptureForm.Succeeded that takes the given statuses
// as success.
func StatusIs(codes ...int) func(status int, h http.Header) bool {
	codes = slices.Clone(codes)
	return func(status int, _ http.Header) bool { return slices.Contains(codes, status) }
}

// Handler wraps the legacy login handler: for a POSTed form
// (application/x-www-form-urlencoded) it reads the login ID and the
// password, hands the legacy handler the same body, and captures the
// password when, and only when, the handler answers success
// (form.Succeeded), before its answer is written, so the session of
// CaptureConfig.Session is delivered with that answer (Delivery). Other
// requests, and forms without both fields or with either twice, go to the
// legacy handler untouched and are not captured; so are forms where
// another parser could read another login ID or password than Go does (a
// field spelled another way, such as " email" or "e.mail" to PHP, a raw
// ";", either field in the query string). What the capture did is reported to the
// Observer and the Logger; the legacy sign-in is never held back by it.
//
// The body and the password are kept for the request only: the buffer
// they were read into is cleared when the legacy handler returns. Values
// the legacy handler parses from the body itself (r.FormValue) are its
// own Go strings, beyond reach.
func (c *Capturer) Handler(form CaptureForm, legacyLogin http.Handler) (http.Handler, error) {
	if form.Succeeded == nil {
		return nil, &ConfigError{Field: "CaptureForm.Succeeded", Reason: "required: how the legacy handler says a sign-in succeeded (StatusIs, or your own check)"}
	}
	if legacyLogin == nil {
		return nil, &ConfigError{Field: "Handler", Reason: "the legacy login handler is nil"}
	}
	form.LoginIDKey = orDefault(form.LoginIDKey, "email")
	form.LoginIDField = orDefault(form.LoginIDField, form.LoginIDKey)
	form.PasswordField = orDefault(form.PasswordField, "password")
	form.MaxBodyBytes = orDefault(form.MaxBodyBytes, 64<<10)
	if form.MaxBodyBytes < 0 || form.LoginIDField == form.PasswordField {
		return nil, &ConfigError{Field: "CaptureForm", Reason: "MaxBodyBytes must not be negative, and the login ID and password fields must differ"}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.serveLogin(w, r, &form, legacyLogin)
	}), nil
}

func (c *Capturer) serveLogin(w http.ResponseWriter, r *http.Request, form *CaptureForm, next http.Handler) {
	if r.Method != http.MethodPost || r.Body == nil || !isURLEncoded(r.Header.Get("Content-Type")) {
		next.ServeHTTP(w, r)
		return
	}
	orig := r.Body
	body, err := io.ReadAll(io.LimitReader(orig, form.MaxBodyBytes+1))
	defer clear(body)
	rest := io.Reader(bytes.NewReader(body))
	whole := err == nil && int64(len(body)) <= form.MaxBodyBytes
	if !whole {
		// Hand over what was read and what was not, unparsed.
		tail := io.Reader(orig)
		if err != nil {
			tail = errReader{err}
		}
		rest = io.MultiReader(rest, tail)
	}
	r.Body = readCloser{rest, orig}
	if !whole {
		next.ServeHTTP(w, r)
		return
	}
	loginID, password, ok := loginForm(body, form.LoginIDField, form.PasswordField)
	defer clear(password)
	if !ok || namesField(r.URL.RawQuery, form.LoginIDField, form.PasswordField) {
		// A login ID or password in the query string too: servlets read
		// it before the body, so the legacy check may have been another
		// user's.
		next.ServeHTTP(w, r)
		return
	}
	cw := &captureWriter{ResponseWriter: w}
	cw.decide = func(status int) {
		if !form.Succeeded(status, w.Header()) {
			return
		}
		res, _ := c.CaptureRequest(r, form.LoginIDKey, loginID, password) // observed and logged there
		c.Deliver(w, r, res)
	}
	next.ServeHTTP(cw, r)
	// A handler that wrote nothing answers 200 once it returns.
	cw.commit(http.StatusOK)
}

func isURLEncoded(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	// A form in another charset is read in it by some legacy stacks
	// (servlet containers), where the bytes name another user than they
	// do as UTF-8: not captured.
	cs := strings.ToLower(params["charset"])
	return err == nil && mt == "application/x-www-form-urlencoded" && (cs == "" || cs == "utf-8" || cs == "us-ascii")
}

type readCloser struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// loginForm reads the login ID and the password from a urlencoded body,
// as url.ParseQuery (and so r.FormValue) would, with the password decoded
// into a slice of its own that the caller clears. ok is false unless each
// field is there exactly once and decodes: with two values the legacy
// handler may have checked the other one.
func loginForm(body []byte, loginField, passwordField string) (loginID string, password []byte, ok bool) {
	if bytes.IndexByte(body, ';') >= 0 {
		// Older Rack and Python parsers split fields on ";" too, where
		// url.ParseQuery skips the pair: two readers, two login IDs.
		// Browsers encode ";" in forms, so only a crafted body has one.
		return "", nil, false
	}
	var nLogin, nPassword int
	for s := body; len(s) > 0; {
		var pair []byte
		pair, s, _ = bytes.Cut(s, []byte("&"))
		if len(pair) == 0 || bytes.IndexByte(pair, ';') >= 0 {
			continue // url.ParseQuery skips these too
		}
		k, v, _ := bytes.Cut(pair, []byte("="))
		key, err := url.QueryUnescape(string(k))
		if err != nil {
			continue
		}
		if key != loginField && key != passwordField && namesField(key, loginField, passwordField) {
			// Another spelling of a field (" email", "e.mail" to PHP): the
			// legacy handler may read its value instead.
			clear(password)
			return "", nil, false
		}
		switch key {
		case loginField:
			nLogin++
			loginID, err = url.QueryUnescape(string(v))
			if err != nil {
				nLogin++ // never taken as the one value
			}
		case passwordField:
			nPassword++
			clear(password)
			password, err = unescapeForm(v)
			if err != nil {
				nPassword++
			}
		}
	}
	if nLogin != 1 || nPassword != 1 || loginID == "" || len(password) == 0 {
		clear(password)
		return "", nil, false
	}
	return loginID, password, true
}

// namesField reports whether the field names of raw, a query string (or a
// single name), include one that a lenient form parser reads as one of
// fields.
func namesField(raw string, fields ...string) bool {
	for _, pair := range strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' }) {
		k, _, _ := strings.Cut(pair, "=")
		if u, err := url.QueryUnescape(k); err == nil {
			k = u
		}
		for _, f := range fields {
			if lenientName(k) == lenientName(f) {
				return true
			}
		}
	}
	return false
}

// lenientName is what lenient form parsers make of a field name: PHP
// drops leading spaces, reads " ", "." and "[" as "_" and "a[x]" as the
// array a; ASP.NET ignores case; C-based parsers stop at a NUL.
func lenientName(k string) string {
	if i := strings.IndexByte(k, 0); i >= 0 {
		k = k[:i]
	}
	k = strings.ToLower(strings.TrimLeft(k, " \t\r\n"))
	if i := strings.IndexByte(k, '['); i > 0 && strings.IndexByte(k[i:], ']') > 0 {
		k = k[:i]
	}
	return strings.NewReplacer(" ", "_", ".", "_", "[", "_").Replace(k)
}

var errEscape = errors.New("agmigrate: bad form escape")

// unescapeForm is url.QueryUnescape into a new byte slice ("+" is a space,
// %XX a byte), so the password is never a Go string.
func unescapeForm(v []byte) ([]byte, error) {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch b := v[i]; b {
		case '+':
			out = append(out, ' ')
		case '%':
			if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
				clear(out)
				return nil, errEscape
			}
			out = append(out, unhex(v[i+1])<<4|unhex(v[i+2]))
			i += 2
		default:
			out = append(out, b)
		}
	}
	return out, nil
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

func unhex(b byte) byte {
	switch {
	case b <= '9':
		return b - '0'
	case b <= 'F':
		return b - 'A' + 10
	}
	return b - 'a' + 10
}

// captureWriter decides on the legacy handler's status just before it is
// written, so the Authgear cookies can still go with it.
type captureWriter struct {
	http.ResponseWriter
	decide  func(status int)
	decided bool
}

func (cw *captureWriter) commit(status int) {
	if !cw.decided {
		cw.decided = true
		cw.decide(status)
	}
}

// WriteHeader decides on a final status; informational ones (103 Early
// Hints) pass.
func (cw *captureWriter) WriteHeader(status int) {
	if status >= 200 || status == http.StatusSwitchingProtocols {
		cw.commit(status)
	}
	cw.ResponseWriter.WriteHeader(status)
}

func (cw *captureWriter) Write(b []byte) (int, error) {
	cw.commit(http.StatusOK)
	return cw.ResponseWriter.Write(b)
}

// Flush keeps streaming handlers working.
func (cw *captureWriter) Flush() {
	cw.commit(http.StatusOK)
	_ = http.NewResponseController(cw.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (cw *captureWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }
