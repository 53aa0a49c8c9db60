package authgeartest

import (
	"net"
	"net/http"
	"strings"
)

// clientIP is the client address Authgear records and rate-limits on.
// Behind a trusted proxy (Options.TrustProxy, TRUST_PROXY=true) it takes
// Forwarded: for=, then the left-most X-Forwarded-For, then X-Real-IP;
// otherwise those headers are ignored and the peer address counts.
func (s *Server) clientIP(r *http.Request) string {
	if s.opts.TrustProxy {
		if ip := forwardedFor(r.Header.Get("Forwarded")); ip != "" {
			return ip
		}
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			if ip := strings.TrimSpace(strings.Split(xff, ",")[0]); ip != "" {
				return ip
			}
		}
		if ip := strings.TrimSpace(r.Header.Get("X-Real-IP")); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// forwardedFor reads the first for= of an RFC 7239 Forwarded header.
func forwardedFor(h string) string {
	for _, elem := range strings.Split(h, ",") {
		for _, pair := range strings.Split(elem, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
			if !ok || !strings.EqualFold(k, "for") {
				continue
			}
			v = strings.Trim(v, `"`)
			// IPv6 is written "[2001:db8::1]:port"; IPv4 may carry a port too.
			if strings.HasPrefix(v, "[") {
				if end := strings.Index(v, "]"); end > 0 {
					return v[1:end]
				}
			}
			if host, _, err := net.SplitHostPort(v); err == nil {
				return host
			}
			return v
		}
	}
	return ""
}
