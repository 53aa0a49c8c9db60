package redisstore

// The names of one exchange's value, lock and channel carry the key as
// their hash tag ({key}), so on a Cluster they live in one slot, on one
// node: the transaction that stores and announces a value is legal there,
// a waiter subscribes where the value is announced, and one dead node
// stops its own exchanges only. agmigrate's keys are hashes (no braces).

func (s *Store) valueKey(key string) string { return s.prefix + "{" + key + "}" }

func (s *Store) lockKey(key string) string { return s.prefix + "lock:{" + key + "}" }

func (s *Store) channel(key string) string { return s.prefix + "put:{" + key + "}" }
