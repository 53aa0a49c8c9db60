package verifier

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"
)

// numericDate is a JWT NumericDate: seconds since the epoch, possibly
// fractional. present tells a missing claim from zero.
type numericDate struct {
	t       time.Time
	present bool
}

func (d *numericDate) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	return d.set(f)
}

var errDateRange = errors.New("NumericDate out of range")

func (d *numericDate) set(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1<<40 {
		return errDateRange
	}
	sec, frac := math.Modf(f)
	d.t = time.Unix(int64(sec), int64(frac*1e9))
	d.present = true
	return nil
}

// audience is "aud": a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*a = l
	return nil
}

func (a audience) contains(v string) bool {
	for _, s := range a {
		if s == v {
			return true
		}
	}
	return false
}

// registered are the registered claims every JWT check uses.
type registered struct {
	Issuer    string      `json:"iss"`
	Subject   string      `json:"sub"`
	Audience  audience    `json:"aud"`
	Expiry    numericDate `json:"exp"`
	NotBefore numericDate `json:"nbf"`
	IssuedAt  numericDate `json:"iat"`
	TokenID   string      `json:"jti"`
}

// timeChecks are the time rules of one verifier.
type timeChecks struct {
	leeway     time.Duration
	requireExp bool
	maxAge     time.Duration // 0: no limit on the age from iat
}

// check applies exp, nbf and iat at now.
func (tc timeChecks) check(r *registered, now time.Time) error {
	if !r.Expiry.present {
		if tc.requireExp {
			return invalid(ErrMissingClaim, "exp")
		}
	} else if !now.Before(r.Expiry.t.Add(tc.leeway)) {
		return invalid(ErrExpired, "expired %s ago", now.Sub(r.Expiry.t).Round(time.Second))
	}
	if r.NotBefore.present && now.Add(tc.leeway).Before(r.NotBefore.t) {
		return invalid(ErrNotYetValid, "valid in %s", r.NotBefore.t.Sub(now).Round(time.Second))
	}
	if r.IssuedAt.present && now.Add(tc.leeway).Before(r.IssuedAt.t) {
		return invalid(ErrIssuedAt, "issued %s in the future", r.IssuedAt.t.Sub(now).Round(time.Second))
	}
	if tc.maxAge > 0 {
		if !r.IssuedAt.present {
			return invalid(ErrMissingClaim, "iat (a maximum token age is set)")
		}
		if now.Sub(r.IssuedAt.t) > tc.maxAge+tc.leeway {
			return invalid(ErrIssuedAt, "issued %s ago, limit %s", now.Sub(r.IssuedAt.t).Round(time.Second), tc.maxAge)
		}
	}
	return nil
}

// splitScopeInto splits a space-separated scope claim into buf's storage
// while it has room. The result's capacity ends at its length, so a
// caller's append never writes into buf. nil for no scope. It splits where
// strings.Fields does, with a shortcut for the common case: printable
// ASCII separated by spaces (RFC 6749's scope syntax).
func splitScopeInto(buf []string, s string) []string {
	if plainASCII(s) {
		for s != "" {
			i := strings.IndexByte(s, ' ')
			if i < 0 {
				buf = append(buf, s)
				break
			}
			if i > 0 {
				buf = append(buf, s[:i])
			}
			s = s[i+1:]
		}
	} else {
		for f := range strings.FieldsSeq(s) {
			buf = append(buf, f)
		}
	}
	if len(buf) == 0 {
		return nil
	}
	return buf[:len(buf):len(buf)]
}

// plainASCII reports whether s holds only printable ASCII and spaces.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			return false
		}
	}
	return true
}
