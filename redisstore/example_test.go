package redisstore_test

import (
	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/redisstore"
	"github.com/redis/go-redis/v9"
)

// Every replica uses the same Redis; the middleware's other settings are
// as in the quick start.
func ExampleNew() {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{"redis:6379"},
		ContextTimeoutEnabled: true}) // the store's OpTimeout then bounds reads and writes
	store, err := redisstore.New(rdb, redisstore.Options{Prefix: "myapp:agmigrate:"})
	if err != nil {
		panic(err)
	}
	_ = agmigrate.Config{Store: store /* Authgear, Legacy, LegacyToken, Admin, ClientID, … */}
}

// On a Redis Cluster, give the client every master (or a few: it finds
// the others). Each exchange's keys live on one master, and a master that
// is down pauses only its own exchanges.
func ExampleNew_cluster() {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 []string{"redis-0:6379", "redis-1:6379", "redis-2:6379"},
		ContextTimeoutEnabled: true,
	})
	store, err := redisstore.New(rdb, redisstore.Options{})
	if err != nil {
		panic(err)
	}
	_ = agmigrate.Config{Store: store}
}
