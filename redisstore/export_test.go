package redisstore

// KeyNames returns the Redis names of the value, lock and channel that s
// uses for key, for tests that check where they land.
func KeyNames(s *Store, key string) (value, lock, channel string) {
	return s.valueKey(key), s.lockKey(key), s.channel(key)
}
