package authgeartest

import (
	"net/http"
	"time"
)

// The token endpoint's hard-coded limits (authgear-server
// pkg/lib/oauth/handler/ratelimit.go): per client IP and per user, each a
// bucket that refills evenly over a minute.
const (
	tokenPerIPPerMinute   = 120
	tokenPerUserPerMinute = 60
)

// bucket is a token bucket on the fake's clock: burst tokens, refilled at
// burst per period.
type bucket struct {
	tokens float64
	last   time.Time
}

// takeLocked takes one token from the bucket named key, creating it full.
// It returns false when the bucket is empty.
func (s *Server) takeLocked(key string, burst int, period time.Duration) bool {
	now := s.opts.Now()
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(burst), last: now}
		s.buckets[key] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens += float64(burst) * float64(el) / float64(period)
		if b.tokens > float64(burst) {
			b.tokens = float64(burst)
		}
	}
	b.last = now
	if b.tokens < 1 {
		s.countRefusal(key)
		return false
	}
	b.tokens--
	return true
}

// rateLimited answers as the token endpoint does over a limit: 429 with
// x_rate_limited and no Retry-After.
func rateLimited(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeMainJSON(w, http.StatusTooManyRequests, map[string]string{
		"error": "x_rate_limited", "error_description": "rate limit exceeded, please try again later.",
	})
}

// adminMutationAllowedLocked applies the optional Admin API mutation bucket
// (Options.AdminMutationsPerMinute); the recorded server version has none.
func (s *Server) adminMutationAllowedLocked() bool {
	n := s.opts.AdminMutationsPerMinute
	if n <= 0 {
		return true
	}
	if b := s.opts.AdminMutationBurst; b > 0 {
		// b at once, refilled at n a minute: b per b/n of a minute.
		return s.takeLocked("admin-mutations", b, time.Duration(float64(time.Minute)*float64(b)/float64(n)))
	}
	return s.takeLocked("admin-mutations", n, time.Minute)
}
