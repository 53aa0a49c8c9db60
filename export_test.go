package agmigrate

import "time"

// SetMemoryStoreClock gives a MemoryStore the test's clock.
func SetMemoryStoreClock(s *MemoryStore, now func() time.Time) { s.now = now }

// LooksLikeRefreshToken exposes the refresh-token shape check to the fuzz
// target.
var LooksLikeRefreshToken = looksLikeRefreshToken
