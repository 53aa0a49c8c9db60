package redisstore_test

import (
	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/redis/go-redis/v9"
)

// Every replica uses the same Redis; the middleware's other settings are
// as in the quick start.
func ExampleNew() {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"redis:6379"}})
	store, err := redisstore.New(rdb, redisstore.Options{Prefix: "myapp:agmigrate:"})
	if err != nil {
		panic(err)
	}
	_ = agmigrate.Config{Store: store /* Authgear, Legacy, LegacyToken, Admin, ClientID, … */}
}
