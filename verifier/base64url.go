package verifier

import (
	"encoding/base64"
	"encoding/binary"
)

// A base64url decoder for the segments of a compact JWS: every first-seen
// token has about 1 KB of them (payload and signature), and this decodes
// them in two thirds of the time encoding/base64 takes. It is as strict as
// base64.RawURLEncoding.Strict(), and refuses CR and LF too (which
// encoding/base64 skips): only the 64 letters of the URL-safe alphabet, no
// padding, no length that leaves a single letter over, and no bits set
// past the last whole byte, so each decoded value has exactly one
// encoding. FuzzBase64URL holds it to encoding/base64.
//
// Four letters become three bytes with four table lookups: each table
// holds a letter's six bits already in place, and anything that is not a
// letter sets bit 24, which no sum of letters reaches.

const b64bad = 1 << 24

var b64tables = func() (t [4][256]uint32) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for k := range t {
		for c := range t[k] {
			t[k][c] = b64bad
		}
		for v := 0; v < len(alphabet); v++ {
			t[k][alphabet[v]] = uint32(v) << (18 - 6*k)
		}
	}
	return t
}()

// b64decode decodes unpadded base64url strictly into a new slice.
func b64decode(s string) ([]byte, error) { return b64decodeInto(nil, s) }

// b64decodeInto decodes unpadded base64url strictly into buf when it has
// room (a caller's stack buffer), and into a new slice otherwise.
func b64decodeInto(buf []byte, s string) ([]byte, error) {
	if len(s)%4 == 1 {
		return nil, base64.CorruptInputError(len(s) - 1)
	}
	n := len(s)/4*3 + len(s)%4*3/4
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	dst := buf[:n]
	t0, t1, t2, t3 := &b64tables[0], &b64tables[1], &b64tables[2], &b64tables[3]
	i, j := 0, 0
	// Each group is stored as four bytes, the fourth overwritten by the
	// next group, while there is room for four.
	for ; len(s)-i >= 4 && len(dst)-j >= 4; i, j = i+4, j+3 {
		q := s[i : i+4]
		v := t0[q[0]] | t1[q[1]] | t2[q[2]] | t3[q[3]]
		if v >= b64bad {
			return nil, base64.CorruptInputError(i)
		}
		binary.BigEndian.PutUint32(dst[j:j+4], v<<8)
	}
	for ; len(s)-i >= 4; i, j = i+4, j+3 {
		q, o := s[i:i+4], dst[j:j+3]
		v := t0[q[0]] | t1[q[1]] | t2[q[2]] | t3[q[3]]
		if v >= b64bad {
			return nil, base64.CorruptInputError(i)
		}
		o[0], o[1], o[2] = byte(v>>16), byte(v>>8), byte(v)
	}
	switch len(s) - i {
	case 2:
		v := t0[s[i]] | t1[s[i+1]]
		if v >= b64bad || v&0xffff != 0 { // bits past the last byte must be zero
			return nil, base64.CorruptInputError(i)
		}
		dst[j] = byte(v >> 16)
	case 3:
		v := t0[s[i]] | t1[s[i+1]] | t2[s[i+2]]
		if v >= b64bad || v&0xff != 0 {
			return nil, base64.CorruptInputError(i)
		}
		dst[j], dst[j+1] = byte(v>>16), byte(v>>8)
	}
	return dst, nil
}
