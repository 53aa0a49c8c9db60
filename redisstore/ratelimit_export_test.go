package redisstore

// RateKeyName returns the Redis name of the budget under key.
func RateKeyName(s *Store, key string) string { return s.rateKey(key) }
