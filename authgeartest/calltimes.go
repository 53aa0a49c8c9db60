package authgeartest

import (
	"sort"
	"strings"
	"time"
)

// recordTimeLocked notes when a call came; s.cmu is held.
func (s *Server) recordTimeLocked(name string, at time.Time) {
	if s.times == nil {
		s.times = map[string][]time.Time{}
	}
	s.times[name] = append(s.times[name], at)
}

// countRefusal counts an answer a rate-limit bucket refused, under
// "rate_limited." and the bucket's kind: token-ip, token-user or
// admin-mutations.
func (s *Server) countRefusal(bucketKey string) {
	kind, _, _ := strings.Cut(bucketKey, ":")
	s.count("rate_limited." + kind)
}

// CallTimes returns when each call of name came, on the fake's clock
// (Options.Now), in order. Names are those of Calls, and
// "rate_limited.token-ip", "rate_limited.token-user" and
// "rate_limited.admin-mutations" for the answers each bucket refused
// with 429 or TooManyRequest. ResetCalls clears them too.
func (s *Server) CallTimes(name string) []time.Time {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return append([]time.Time(nil), s.times[name]...)
}

// MaxInWindow returns the most calls of name that came within any window
// of length d (both ends included): what a limit of "n per d" sees.
func (s *Server) MaxInWindow(name string, d time.Duration) int {
	ts := s.CallTimes(name)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	most, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) > d {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}
