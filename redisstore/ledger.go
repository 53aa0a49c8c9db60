package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/agmigrate/agmigrate"
	"github.com/redis/go-redis/v9"
)

var _ agmigrate.SessionLedger = (*Store)(nil)

// The session ledger is one sorted set, LedgerKey(prefix): each member is
// an entry's JSON (agmigrate.CreatedSession.MarshalJSON, which starts with
// the session ID), scored by its creation time in Unix milliseconds
// (exact in a double). Redis orders members of one score as bytes, so the
// set's order is the ledger's order: time, then session ID. The hash tag
// keeps the whole set in one slot on a Cluster. The agmigrate-ledger
// command (redisstore/cmd) copies it into a ledger file for `agmigrate
// sessions revoke --migrated --ledger FILE`, which carries no Redis driver.

// LedgerKey is the name of the session ledger's sorted set for a Store
// whose Options.Prefix is prefix ("" for the default).
func LedgerKey(prefix string) string {
	if prefix == "" {
		prefix = "agmigrate:"
	}
	return prefix + "sessions:{ledger}"
}

// ledgerBatch is how many members one ZRANGE asks for.
const ledgerBatch = 500

// RecordSession implements agmigrate.SessionLedger. It is tried even while
// Redis is pausing after a failure: an entry the ledger misses is a session
// a revocation pass cannot find exactly.
func (s *Store) RecordSession(ctx context.Context, c agmigrate.CreatedSession) error {
	member, err := c.MarshalJSON()
	if err != nil {
		return err
	}
	name := LedgerKey(s.prefix)
	return s.op(ctx, name, false, func(ctx context.Context) error {
		return s.rdb.ZAddNX(ctx, name, redis.Z{Score: float64(c.CreatedAt.UnixMilli()), Member: string(member)}).Err()
	})
}

// CreatedSessions implements agmigrate.SessionLedger.
func (s *Store) CreatedSessions(ctx context.Context, after agmigrate.CreatedSession, limit int) ([]agmigrate.CreatedSession, error) {
	if limit <= 0 {
		return nil, nil
	}
	name := LedgerKey(s.prefix)
	start := "-inf"
	if !after.CreatedAt.IsZero() || after.SessionID != "" {
		start = strconv.FormatInt(after.CreatedAt.UnixMilli(), 10)
	}
	var out []agmigrate.CreatedSession
	// Entries of after's own millisecond that are not after it are
	// skipped; many sessions in one millisecond take several batches.
	for offset := int64(0); ; offset += ledgerBatch {
		var zs []redis.Z
		err := s.op(ctx, name, true, func(ctx context.Context) error {
			var err error
			zs, err = s.rdb.ZRangeArgsWithScores(ctx, redis.ZRangeArgs{Key: name, Start: start, Stop: "+inf",
				ByScore: true, Offset: offset, Count: ledgerBatch}).Result()
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, z := range zs {
			c, err := ledgerMember(z)
			if err != nil {
				return nil, err
			}
			if start != "-inf" && !after.Before(c) {
				continue
			}
			if out = append(out, c); len(out) == limit {
				return out, nil
			}
		}
		if len(zs) < ledgerBatch {
			return out, nil
		}
	}
}

// ledgerMember reads one member, whose score must be its own time.
func ledgerMember(z redis.Z) (agmigrate.CreatedSession, error) {
	m, ok := z.Member.(string)
	var c agmigrate.CreatedSession
	if !ok {
		return c, fmt.Errorf("redisstore: %w: not a string", agmigrate.ErrBadLedgerEntry)
	}
	if err := c.UnmarshalJSON([]byte(m)); err != nil {
		return c, fmt.Errorf("redisstore: %w", err)
	}
	if float64(c.CreatedAt.UnixMilli()) != z.Score {
		return c, fmt.Errorf("redisstore: %w: its score is not its creation time", agmigrate.ErrBadLedgerEntry)
	}
	return c, nil
}

// ForgetSessionsBefore removes the ledger's entries created before t, for
// a ledger kept past the sessions' lifetime (Authgear's refresh-token
// lifetime, 52 weeks by default). It returns how many it removed.
func (s *Store) ForgetSessionsBefore(ctx context.Context, t time.Time) (int64, error) {
	name := LedgerKey(s.prefix)
	var n int64
	err := s.op(ctx, name, false, func(ctx context.Context) error {
		var err error
		n, err = s.rdb.ZRemRangeByScore(ctx, name, "-inf", "("+strconv.FormatInt(t.UnixMilli(), 10)).Result()
		return err
	})
	return n, err
}
