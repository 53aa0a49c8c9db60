package agmigrate

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Authgear limits its token endpoint per client IP (120 a minute) and per
// user (60). A refresh the middleware makes comes from the app's server,
// so without more every user's refresh counts against the server's one
// address. Behind a trusted proxy (TRUST_PROXY=true) Authgear takes the
// client IP from Forwarded: for=, else the left-most X-Forwarded-For: the
// middleware sends the end user's address in both. The address comes from
// Config.ClientIP, never from a header the client sent, which would let
// anyone spend someone else's bucket.

var clientIPKey = &contextKey{"client-ip"}

// withClientIP carries the end user's address to the refreshes a request
// makes.
func withClientIP(ctx context.Context, ip string) context.Context {
	if ip == "" {
		return ctx
	}
	return context.WithValue(ctx, clientIPKey, ip)
}

func clientIPFrom(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey).(string)
	return ip
}

// RemoteAddrIP is the default Config.ClientIP: the host of r.RemoteAddr,
// the peer of the connection. Behind your own load balancer that is the
// balancer: give a ClientIP that reads the address your balancer vouches
// for (the right-most X-Forwarded-For entry it appended, say), not one
// the client can write.
func RemoteAddrIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// forwardClientIP sets Forwarded and X-Forwarded-For on h for ip, when ip
// is an IP address (anything else is dropped: a ClientIP function reading
// a header must not pass a list or a header injection through).
func forwardClientIP(h http.Header, ip string) {
	fwd, xff, ok := forwardedHeaders(ip)
	if !ok {
		return
	}
	h.Set("Forwarded", fwd)
	h.Set("X-Forwarded-For", xff)
}

// forwardedHeaders formats ip for Forwarded (RFC 7239: an IPv6 address
// quoted and in brackets) and X-Forwarded-For.
func forwardedHeaders(ip string) (forwarded, xff string, ok bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "", "", false
	}
	a = a.WithZone("").Unmap()
	s := a.String()
	if a.Is6() {
		return `for="[` + s + `]"`, s, true
	}
	return "for=" + s, s, true
}

// parseRetryAfter reads a Retry-After header (delay-seconds or an
// HTTP-date), capped at an hour; 0 when absent or unreadable. Authgear's
// recorded 429 answers carry none; a gateway before it may.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	const ceiling = time.Hour
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return min(time.Duration(n)*time.Second, ceiling)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(0, t.Sub(now)), ceiling)
	}
	return 0
}
