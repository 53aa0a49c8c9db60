package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agmigrate/agmigrate"
)

// The command reads redisstore's session ledger without a Redis driver
// (the root module has none; redisstore is its own module): a few RESP2
// commands over one connection. The ledger is the sorted set
// "<prefix>sessions:{ledger}" (redisstore.LedgerKey): members are
// agmigrate.CreatedSession JSON, scored by creation time in Unix
// milliseconds.

// errRedisReply: Redis answered something this reader does not take.
var errRedisReply = errors.New("unexpected answer from Redis")

// redisError is an error reply ("-ERR ...").
type redisError string

func (e redisError) Error() string { return "redis: " + string(e) }

// Limits on what a reply may hold: ledger members are about 150 bytes.
const (
	maxRedisBulk  = 64 * 1024
	maxRedisArray = 1 << 16
	maxRedisLine  = 4096
)

// redisLedger reads the ledger from one Redis node (following a Cluster's
// MOVED answer to the node that holds it).
type redisLedger struct {
	url     *url.URL
	key     string
	timeout time.Duration
	conn    net.Conn
	r       *bufio.Reader
}

// openRedisLedger checks the URL (redis:// or rediss://, with an optional
// user, password and database number) and connects.
func openRedisLedger(ctx context.Context, raw, prefix string) (*redisLedger, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return nil, errors.New("--redis-url must look like redis://[user:password@]host:6379[/db] (or rediss:// for TLS)")
	}
	if strings.ContainsAny(prefix, "{}") {
		return nil, errors.New("--redis-prefix must not contain { or }")
	}
	l := &redisLedger{url: u, key: prefix + "sessions:{ledger}", timeout: 10 * time.Second}
	if err := l.dial(ctx, u.Host); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *redisLedger) dial(ctx context.Context, addr string) error {
	if l.conn != nil {
		l.conn.Close()
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, "6379")
	}
	d := &net.Dialer{Timeout: l.timeout}
	var c net.Conn
	var err error
	if l.url.Scheme == "rediss" {
		host, _, _ := net.SplitHostPort(addr)
		c, err = (&tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}}).DialContext(ctx, "tcp", addr)
	} else {
		c, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("connecting to Redis: %w", err)
	}
	l.conn, l.r = c, bufio.NewReader(c)
	if pw, ok := l.url.User.Password(); ok {
		args := []string{"AUTH", pw}
		if name := l.url.User.Username(); name != "" {
			args = []string{"AUTH", name, pw}
		}
		if _, err := l.do(ctx, args...); err != nil {
			var re redisError
			if errors.As(err, &re) {
				return errors.New("Redis refused the credentials in --redis-url") // never echo them
			}
			return err
		}
	}
	if db := strings.Trim(l.url.Path, "/"); db != "" && db != "0" {
		if _, err := strconv.Atoi(db); err != nil {
			return errors.New("--redis-url: the database is not a number")
		}
		if _, err := l.do(ctx, "SELECT", db); err != nil {
			return fmt.Errorf("selecting the database: %w", err)
		}
	}
	return nil
}

func (l *redisLedger) Close() error {
	if l.conn == nil {
		return nil
	}
	return l.conn.Close()
}

// do sends one command and reads its reply.
func (l *redisLedger) do(ctx context.Context, args ...string) (any, error) {
	deadline := time.Now().Add(l.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = l.conn.SetDeadline(deadline)
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(l.conn, b.String()); err != nil {
		return nil, fmt.Errorf("talking to Redis: %w", err)
	}
	return readRESP(l.r, 0)
}

// readRESP reads one RESP2 reply: a string, an int64, nil, []any, or a
// redisError (as the error).
func readRESP(r *bufio.Reader, depth int) (any, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: a line too long", errRedisReply)
		}
		return nil, fmt.Errorf("reading from Redis: %w", err)
	}
	if len(line) < 3 || line[len(line)-2] != '\r' || len(line) > maxRedisLine {
		return nil, fmt.Errorf("%w: a malformed line", errRedisReply)
	}
	kind, body := line[0], string(line[1:len(line)-2])
	switch kind {
	case '+':
		return body, nil
	case '-':
		return nil, redisError(body)
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: a malformed integer", errRedisReply)
		}
		return n, nil
	case '$':
		n, err := strconv.Atoi(body)
		switch {
		case err != nil || n < -1 || n > maxRedisBulk:
			return nil, fmt.Errorf("%w: a bulk string of bad length", errRedisReply)
		case n == -1:
			return nil, nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("reading from Redis: %w", err)
		}
		if b[n] != '\r' || b[n+1] != '\n' {
			return nil, fmt.Errorf("%w: a bulk string without its end", errRedisReply)
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		switch {
		case err != nil || n < -1 || n > maxRedisArray || depth > 2:
			return nil, fmt.Errorf("%w: an array of bad length or depth", errRedisReply)
		case n == -1:
			return nil, nil
		}
		out := make([]any, 0, min(n, 1024))
		for range n {
			v, err := readRESP(r, depth+1)
			var re redisError
			if err != nil && !errors.As(err, &re) {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unknown reply type", errRedisReply)
}

// ledgerBatch is how many members one ZRANGE asks for.
const ledgerBatch = 500

// CreatedSessions reads the ledger as redisstore.Store.CreatedSessions
// does (revoke.Ledger).
func (l *redisLedger) CreatedSessions(ctx context.Context, after agmigrate.CreatedSession, limit int) ([]agmigrate.CreatedSession, error) {
	if limit <= 0 {
		return nil, nil
	}
	start := "-inf"
	if !after.CreatedAt.IsZero() || after.SessionID != "" {
		start = strconv.FormatInt(after.CreatedAt.UnixMilli(), 10)
	}
	var out []agmigrate.CreatedSession
	for offset := 0; ; offset += ledgerBatch {
		v, err := l.zrange(ctx, start, offset)
		if err != nil {
			return nil, err
		}
		if len(v)%2 != 0 {
			return nil, fmt.Errorf("%w: ZRANGE WITHSCORES gave an odd count", errRedisReply)
		}
		for i := 0; i < len(v); i += 2 {
			c, err := ledgerEntry(v[i], v[i+1])
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
		if len(v) < 2*ledgerBatch {
			return out, nil
		}
	}
}

// zrange asks for one batch, following MOVED once.
func (l *redisLedger) zrange(ctx context.Context, start string, offset int) ([]any, error) {
	args := []string{"ZRANGE", l.key, start, "+inf", "BYSCORE", "LIMIT", strconv.Itoa(offset), strconv.Itoa(ledgerBatch), "WITHSCORES"}
	for moved := 0; ; moved++ {
		v, err := l.do(ctx, args...)
		var re redisError
		if errors.As(err, &re) && strings.HasPrefix(string(re), "MOVED ") && moved == 0 {
			f := strings.Fields(string(re))
			if len(f) != 3 {
				return nil, err
			}
			if err := l.dial(ctx, f[2]); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, nil
		}
		a, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: ZRANGE did not give an array", errRedisReply)
		}
		return a, nil
	}
}

// ledgerEntry reads one member and its score.
func ledgerEntry(member, score any) (agmigrate.CreatedSession, error) {
	var c agmigrate.CreatedSession
	m, ok1 := member.(string)
	s, ok2 := score.(string)
	if !ok1 || !ok2 {
		return c, fmt.Errorf("%w: a ledger member or score is not a string", errRedisReply)
	}
	if err := c.UnmarshalJSON([]byte(m)); err != nil {
		return c, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(c.CreatedAt.UnixMilli()) {
		return c, fmt.Errorf("%w: a member's score is not its creation time", agmigrate.ErrBadLedgerEntry)
	}
	return c, nil
}
