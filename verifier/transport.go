package verifier

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// ErrInsecureURL is wrapped (with ErrConfig) by the error a constructor
// returns for an endpoint given as http:// on a host that is not loopback:
// keys, discovery documents and introspection answers fetched in clear
// can be swapped by anyone on the path, and with them every verdict.
var ErrInsecureURL = errors.New("verifier: plain-http URL for a host that is not loopback")

// checkURL accepts an absolute https URL, or an http one on a loopback
// host (127.0.0.0/8, ::1, localhost) or when insecure is set.
func checkURL(field, raw string, insecure bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return configError("%s %q is not an absolute URL", field, raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if insecure || isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%w: %w: %s %s: use https (InsecureAllowHTTP allows plain http)", ErrConfig, ErrInsecureURL, field, u.Redacted())
	}
	return configError("%s %s is not an http(s) URL", field, u.Redacted())
}

// isLoopback reports whether host names this machine only.
func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
