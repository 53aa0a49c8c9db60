package agmigrate

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// localMemory is what one replica remembers by itself of its recent
// exchanges and refreshes, in front of a shared store: the same sealed
// values the shared store holds, bounded in number and each with its own
// expiry. It answers repeat hits without a round trip, and keeps the
// promise of one session per token in this replica while the shared store
// is failing.
type localMemory struct {
	mu  sync.Mutex
	m   map[string]localEntry
	max int
	// onLost is told the key of a live value dropped to make room that the
	// shared store never held: it is gone (capacity.go reports it).
	onLost func(key string)
}

type localEntry struct {
	v    []byte
	exp  time.Time
	seen time.Time // when the value was last put or read from the shared store
	// shared: the shared store is known to have held this value (it was
	// read from there, or written there without error).
	shared bool
	// gen is the shared store's generation marker when it held the value
	// (genKey): a value it lost with its whole data is not a deletion.
	gen string
}

func newLocalMemory(max int) *localMemory {
	return &localMemory{m: make(map[string]localEntry), max: max}
}

func (l *localMemory) get(key string, now time.Time) (localEntry, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.m[key]
	if ok && !now.Before(e.exp) {
		delete(l.m, key)
		return localEntry{}, false
	}
	return e, ok
}

func (l *localMemory) put(key string, e localEntry) {
	if lost := l.insert(key, e); lost != "" && l.onLost != nil {
		l.onLost(lost)
	}
}

// insert stores e under key, making room if needed; it returns the key of
// a live value dropped that the shared store never held, or "".
func (l *localMemory) insert(key string, e localEntry) (lost string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.m[key]; !ok && len(l.m) >= l.max {
		// An expired entry, or else the one closest to expiry among a
		// sample, makes room: the shared store still has it.
		const sample = 16
		var victim string
		var soonest time.Time
		n := 0
		for k, old := range l.m {
			if !e.seen.Before(old.exp) {
				victim = k
				break
			}
			if n == 0 || old.exp.Before(soonest) {
				victim, soonest = k, old.exp
			}
			if n++; n >= sample {
				break
			}
		}
		if old := l.m[victim]; !old.shared && e.seen.Before(old.exp) {
			lost = victim
		}
		delete(l.m, victim)
	}
	l.m[key] = e
	return lost
}

// confirm marks the entry under key as held by the shared store, if it
// still holds value v.
func (l *localMemory) delete(key string) {
	l.mu.Lock()
	delete(l.m, key)
	l.mu.Unlock()
}

func (l *localMemory) confirm(key string, v []byte, gen string) {
	l.mu.Lock()
	if e, ok := l.m[key]; ok && len(e.v) == len(v) && (len(v) == 0 || &e.v[0] == &v[0]) {
		e.shared, e.gen = true, gen
		l.m[key] = e
	}
	l.mu.Unlock()
}

// tier reads and writes the store through the local memory, when there is
// one (a shared store was configured). Reads within fresh of the last
// sight of a value are answered locally; older ones ask the shared store,
// and fall back on the local value when the shared store fails, or when it
// lacks a value this replica made while it was failing.
type tier struct {
	shared   Store
	local    *localMemory // nil: the store is itself in this process
	fresh    time.Duration
	keep     time.Duration // how long a value read from the shared store is kept locally at most
	storeErr func(error)
	now      func() time.Time

	genMu sync.Mutex
	gen   string // the shared store's generation marker last seen ("" unknown)
}

// get returns the value under key, or ErrNotFound. local reports a value
// that came from the local memory without asking the shared store.
func (t *tier) get(ctx context.Context, key string) (v []byte, local bool, err error) {
	if t.local == nil { // an in-process store: nothing to detach from
		v, err = t.shared.Get(ctx, key)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.storeErr(err)
			err = ErrNotFound
		}
		return v, false, err
	}
	now := t.now()
	e, had := t.local.get(key, now)
	if had && now.Sub(e.seen) < t.fresh {
		return e.v, true, nil
	}
	sctx, cancel := detached(ctx)
	defer cancel()
	v, err = t.shared.Get(sctx, key)
	switch {
	case err == nil:
		exp := now.Add(t.keep)
		if had {
			exp = e.exp
		}
		t.local.put(key, localEntry{v: v, exp: exp, seen: now, shared: true, gen: t.genFor(sctx, key)})
		return v, false, nil
	case errors.Is(err, ErrNotFound):
		if had && (!e.shared || t.lost(sctx, key, e)) {
			// Made while the shared store was failing, so it never got
			// there, or lost by a store that came back empty: it still
			// stands, and is written there now, so the other replicas
			// converge on it instead of making their own.
			if perr := t.shared.Put(sctx, key, e.v, e.exp.Sub(now)); perr == nil {
				e.shared, e.seen, e.gen = true, now, t.genFor(sctx, key)
			}
			t.local.put(key, e)
			return e.v, true, nil
		}
		// Otherwise the shared store answers for what it holds: an entry
		// deleted there (ExchangeKey) is forgotten here too. An absence is
		// never remembered: a replica waiting for another's exchange must
		// see its result as soon as it is put.
		if had {
			t.local.delete(key)
		}
		return nil, false, ErrNotFound
	default:
		t.storeErr(err)
		if had {
			return e.v, true, nil
		}
		return nil, false, ErrNotFound
	}
}

// getShared reads the shared store, bypassing the local memory (used
// before concluding that a session has ended: another replica may have
// renewed it).
func (t *tier) getShared(ctx context.Context, key string) ([]byte, error) {
	if t.local == nil {
		return t.shared.Get(ctx, key)
	}
	ctx, cancel := detached(ctx)
	defer cancel()
	v, err := t.shared.Get(ctx, key)
	if err == nil {
		now := t.now()
		exp := now.Add(t.keep)
		if e, ok := t.local.get(key, now); ok {
			exp = e.exp
		}
		t.local.put(key, localEntry{v: v, exp: exp, seen: now, shared: true, gen: t.genFor(ctx, key)})
	}
	return v, err
}

// put writes value locally and to the shared store.
func (t *tier) put(ctx context.Context, key string, value []byte, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	if t.local != nil {
		now := t.now()
		t.local.put(key, localEntry{v: value, exp: now.Add(ttl), seen: now})
		var cancel context.CancelFunc
		ctx, cancel = detached(ctx)
		defer cancel()
	}
	if err := t.shared.Put(ctx, key, value, ttl); err != nil {
		t.storeErr(err)
	} else if t.local != nil {
		t.local.confirm(key, value, t.genFor(ctx, key))
	}
}

// genKey names the shared store's generation marker: a random value the
// first replica writes there and every replica remembers with the values
// it saw the store hold. A value the store no longer holds, while the
// marker is still the one seen, was deleted there on purpose; with the
// marker gone or another, the store lost its data (restarted empty,
// failed over to an empty node), and the value this replica remembers
// still stands: forgetting it would make a second session per token, or
// bring a spent token back to life. Stores that know their nodes
// (Generations: redisstore) answer per node instead, so on a Cluster a
// master restarted empty is told apart from the others.
var genKey = storeKey("g", "generation")

const genTTL = 365 * 24 * time.Hour

// generation returns the shared store's marker, writing one when it has
// none; "" when the store cannot say.
func (t *tier) generation(ctx context.Context) string {
	t.genMu.Lock()
	g := t.gen
	t.genMu.Unlock()
	if g != "" {
		return g
	}
	v, err := t.shared.Get(ctx, genKey)
	if errors.Is(err, ErrNotFound) {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		fresh := []byte(hex.EncodeToString(b))
		if t.shared.Put(ctx, genKey, fresh, genTTL) != nil {
			return ""
		}
		// Another replica may have written its own at the same moment:
		// read back whichever stands.
		if v, err = t.shared.Get(ctx, genKey); err != nil {
			v = fresh
		}
	} else if err != nil {
		return ""
	}
	t.genMu.Lock()
	t.gen = string(v)
	t.genMu.Unlock()
	return string(v)
}

// genFor returns the generation under which the shared store holds key:
// the generation of its node when the store can say (Generations), else
// the store's marker.
func (t *tier) genFor(ctx context.Context, key string) string {
	if gs, ok := t.shared.(Generations); ok {
		if g, err := gs.Generation(ctx, key, false); err == nil && g != "" {
			return g
		}
	}
	return t.generation(ctx)
}

// lost reports whether the shared store lost e's value with the rest of
// its data (the node's generation, or the store's marker, gone or
// another), rather than had it deleted.
func (t *tier) lost(ctx context.Context, key string, e localEntry) bool {
	if gs, ok := t.shared.(Generations); ok {
		g, err := gs.Generation(ctx, key, true)
		if err != nil {
			return true // failing now: the value stands, as in an outage
		}
		if g != "" {
			return g != e.gen
		}
	}
	v, err := t.shared.Get(ctx, genKey)
	switch {
	case err == nil && e.gen != "" && bytes.Equal(v, []byte(e.gen)):
		return false
	case err != nil && !errors.Is(err, ErrNotFound):
		return true // failing now: the value stands, as in an outage
	}
	t.genMu.Lock()
	if t.gen == e.gen {
		t.gen = "" // write or adopt a new marker
	}
	t.genMu.Unlock()
	return true
}

// storeTimeout bounds one call to the shared store.
const storeTimeout = 3 * time.Second

// detached runs a store call apart from the request's cancellation: a
// caller that goes away must never make the store look down.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}
