package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/redis/go-redis/v9"
)

var _ agmigrate.RateLimiter = (*Store)(nil)

// The governor's budgets live in Redis as one number per budget: the
// theoretical arrival time (TAT) of the next call, in microseconds of
// Redis's own clock (GCRA). Both scripts read the time with TIME inside
// the script, so replicas whose clocks disagree still count on one clock,
// and read-modify-write is atomic. Microseconds since 1970 stay exact in
// Lua's doubles (below 2^53) and are written with %.0f, never tostring,
// which would round them to 14 digits.

// reserveScript: KEYS[1] the budget; ARGV interval, tolerance and maxWait
// in µs. Returns {1, wait} when a call was reserved to go after wait µs,
// {0, wait} when it would have to wait longer than maxWait (nothing
// taken).
var reserveScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local maxwait = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local at = tat - tolerance
if at < now then at = now end
local wait = at - now
if wait > maxwait then return {0, wait} end
local next = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.floor((next - now) / 1000) + 1000)
return {1, wait}
`)

// pauseScript: KEYS[1] the budget; ARGV tolerance and the pause in µs.
// Moves the TAT so that the next call goes after the pause, then one per
// interval: the budget is empty when the pause ends.
var pauseScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local untl = now + tonumber(ARGV[2]) + tonumber(ARGV[1])
if untl > tat then
  redis.call('SET', KEYS[1], string.format('%.0f', untl), 'PX', math.floor((untl - now) / 1000) + 1000)
end
return 1
`)

// errScriptAnswer: a script answered in a shape it never gives.
var errScriptAnswer = errors.New("redisstore: unexpected answer from the rate-limit script")

// maxMicros keeps durations handed to the scripts inside what a double
// holds exactly, summed with the current time.
const maxMicros = int64(1) << 50

func micros(d time.Duration) string {
	return strconv.FormatInt(min(max(0, d.Microseconds()), maxMicros), 10)
}

// Reserve implements agmigrate.RateLimiter with GCRA on Redis time.
func (s *Store) Reserve(ctx context.Context, key string, l agmigrate.Limit, maxWait time.Duration) (time.Duration, bool, error) {
	name := s.rateKey(key)
	var res []any
	err := s.op(ctx, name, true, func(ctx context.Context) error {
		var err error
		res, err = reserveScript.Run(ctx, s.rdb, []string{name},
			micros(l.Interval), micros(l.Tolerance()), micros(maxWait)).Slice()
		return err
	})
	if err != nil {
		return 0, false, err
	}
	if len(res) != 2 {
		return 0, false, errScriptAnswer
	}
	ok, okType := res[0].(int64)
	wait, waitType := res[1].(int64)
	if !okType || !waitType || wait < 0 {
		return 0, false, errScriptAnswer
	}
	return time.Duration(wait) * time.Microsecond, ok == 1, nil
}

// Pause implements agmigrate.RateLimiter.
func (s *Store) Pause(ctx context.Context, key string, l agmigrate.Limit, d time.Duration) error {
	name := s.rateKey(key)
	return s.op(ctx, name, true, func(ctx context.Context) error {
		return pauseScript.Run(ctx, s.rdb, []string{name}, micros(l.Tolerance()), micros(d)).Err()
	})
}

// rateKey names a budget; the hash tag keeps it in one slot on a Cluster
// (the script touches one key only, so any slot would do, but a tag makes
// the node that holds it the one op's health check asks).
func (s *Store) rateKey(key string) string { return s.prefix + "rate:{" + key + "}" }
