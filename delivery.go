package agmigrate

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Delivery hands a new Authgear session to the client, before the handler
// writes anything.
type Delivery interface {
	Deliver(w http.ResponseWriter, r *http.Request, t *Tokens)
}

// DeliveryFunc adapts a function to Delivery.
type DeliveryFunc func(w http.ResponseWriter, r *http.Request, t *Tokens)

// Deliver calls f.
func (f DeliveryFunc) Deliver(w http.ResponseWriter, r *http.Request, t *Tokens) { f(w, r, t) }

// Cookies delivers the session in cookies, for browsers. The middleware
// reads them back on later requests and refreshes the access token when it
// has expired.
type Cookies struct {
	// AccessName and RefreshName default to "__Host-ag_access" and
	// "__Host-ag_refresh": browsers keep a __Host- cookie only if it is
	// Secure, has Path / and no Domain, so no other host or path can set or
	// shadow it. With a Domain or another Path the defaults are
	// "__Secure-ag_access" and "__Secure-ag_refresh"; with
	// InsecureAllowHTTP, "ag_access" and "ag_refresh" (a prefixed cookie
	// that is not Secure is dropped). New refuses names with a prefix the
	// other settings break.
	AccessName, RefreshName string
	// Path defaults to "/"; Domain to none (the host only).
	Path, Domain string
	// SameSite defaults to Lax.
	SameSite http.SameSite
	// InsecureAllowHTTP drops the Secure attribute, for local development
	// over plain HTTP only.
	InsecureAllowHTTP bool
	// RefreshMaxAge is how long the refresh cookie lives. Default 30 days
	// (Authgear's default idle timeout of a refresh token).
	RefreshMaxAge time.Duration
}

// maxCookieValue keeps each cookie under browsers' 4096-byte limit with
// room for the name and attributes; longer values are split.
const maxCookieValue = 3800

func (c Cookies) withDefaults() Cookies {
	prefix := "__Host-"
	switch {
	case c.InsecureAllowHTTP:
		prefix = ""
	case c.Domain != "" || (c.Path != "" && c.Path != "/"):
		prefix = "__Secure-"
	}
	if c.AccessName == "" {
		c.AccessName = prefix + "ag_access"
	}
	if c.RefreshName == "" {
		c.RefreshName = prefix + "ag_refresh"
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.SameSite == 0 {
		c.SameSite = http.SameSiteLaxMode
	}
	if c.RefreshMaxAge == 0 {
		c.RefreshMaxAge = 30 * 24 * time.Hour
	}
	return c
}

// Deliver sets the access and refresh cookies.
func (c Cookies) Deliver(w http.ResponseWriter, r *http.Request, t *Tokens) {
	c = c.withDefaults()
	noStore(w)
	c.set(w, r, c.AccessName, t.AccessToken, t.ExpiresIn)
	if t.RefreshToken != "" {
		c.set(w, r, c.RefreshName, t.RefreshToken, c.RefreshMaxAge)
	}
}

// clear expires both session cookies.
func (c Cookies) clear(w http.ResponseWriter, r *http.Request) {
	c = c.withDefaults()
	noStore(w)
	c.set(w, r, c.AccessName, "", -1)
	c.set(w, r, c.RefreshName, "", -1)
}

func (c Cookies) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	ck := &http.Cookie{Name: name, Value: value, Path: c.Path, Domain: c.Domain, HttpOnly: true,
		Secure: !c.InsecureAllowHTTP, SameSite: c.SameSite}
	if maxAge < 0 {
		ck.MaxAge = -1
	} else {
		ck.MaxAge = int(maxAge / time.Second)
	}
	return ck
}

// set writes one logical cookie, split into name.0, name.1, … when too
// large for one, with name itself holding "chunks:N"; chunks the request
// still has from a larger value are expired.
func (c Cookies) set(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	old := chunkCount(r, name)
	if len(value) <= maxCookieValue {
		http.SetCookie(w, c.cookie(name, value, maxAge))
		for i := 0; i < old; i++ {
			http.SetCookie(w, c.cookie(name+"."+strconv.Itoa(i), "", -1))
		}
		return
	}
	n := (len(value) + maxCookieValue - 1) / maxCookieValue
	http.SetCookie(w, c.cookie(name, "chunks:"+strconv.Itoa(n), maxAge))
	for i := 0; i < n; i++ {
		part := value[i*maxCookieValue : min(len(value), (i+1)*maxCookieValue)]
		http.SetCookie(w, c.cookie(name+"."+strconv.Itoa(i), part, maxAge))
	}
	for i := n; i < old; i++ {
		http.SetCookie(w, c.cookie(name+"."+strconv.Itoa(i), "", -1))
	}
}

const maxChunks = 8

func chunkCount(r *http.Request, name string) int {
	ck, err := r.Cookie(name)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimPrefix(ck.Value, "chunks:"))
	if !strings.HasPrefix(ck.Value, "chunks:") || err != nil || n < 1 || n > maxChunks {
		return 0
	}
	return n
}

// read returns the logical cookie value, joining chunks.
func readCookie(r *http.Request, name string) string {
	ck, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	n := chunkCount(r, name)
	if n == 0 {
		if strings.HasPrefix(ck.Value, "chunks:") {
			return ""
		}
		return ck.Value
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		part, err := r.Cookie(name + "." + strconv.Itoa(i))
		if err != nil {
			return ""
		}
		b.WriteString(part.Value)
	}
	return b.String()
}

// Headers delivers the session in response headers, for API and mobile
// clients that store the tokens themselves.
type Headers struct {
	// Prefix of the header names; default "X-Authgear-": the headers are
	// <Prefix>Access-Token, <Prefix>Refresh-Token, <Prefix>Expires-In.
	Prefix string
}

// Deliver sets the headers.
func (h Headers) Deliver(w http.ResponseWriter, _ *http.Request, t *Tokens) {
	p := h.Prefix
	if p == "" {
		p = "X-Authgear-"
	}
	noStore(w)
	w.Header().Set(p+"Access-Token", t.AccessToken)
	if t.RefreshToken != "" {
		w.Header().Set(p+"Refresh-Token", t.RefreshToken)
	}
	w.Header().Set(p+"Expires-In", strconv.Itoa(int(t.ExpiresIn/time.Second)))
	w.Header().Set(p+"Token-Type", t.TokenType)
}

// Both delivers through every one of ds, e.g. cookies for browsers and
// headers for API clients.
func Both(ds ...Delivery) Delivery { return multi(ds) }

type multi []Delivery

func (m multi) Deliver(w http.ResponseWriter, r *http.Request, t *Tokens) {
	for _, d := range m {
		d.Deliver(w, r, t)
	}
}

// cookiesOf finds the Cookies delivery in d, if any: the middleware reads
// and refreshes the session from those cookies.
func cookiesOf(d Delivery) (Cookies, bool) {
	switch d := d.(type) {
	case Cookies:
		return d.withDefaults(), true
	case multi:
		for _, x := range d {
			if c, ok := cookiesOf(x); ok {
				return c, true
			}
		}
	}
	return Cookies{}, false
}

// noStore keeps caches from storing a response that sets credentials.
func noStore(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", `no-cache="Set-Cookie", no-store`)
	addVary(h, "Cookie")
}

func addVary(h http.Header, v string) {
	for _, have := range h.Values("Vary") {
		for _, f := range strings.Split(have, ",") {
			if strings.EqualFold(strings.TrimSpace(f), v) {
				return
			}
		}
	}
	h.Add("Vary", v)
}

// clearCookie expires a legacy cookie. Browsers ignore a Secure cookie
// set over plain HTTP, so in local development (InsecureAllowHTTP) the
// clearing cookie is not Secure either.
func clearCookie(w http.ResponseWriter, c CookieExtractor, secure bool) {
	path := c.Path
	if path == "" {
		path = "/"
	}
	http.SetCookie(w, &http.Cookie{Name: c.Name, Value: "", Path: path, Domain: c.Domain, MaxAge: -1, HttpOnly: true, Secure: secure})
}
