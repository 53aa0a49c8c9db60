package passwords

import (
	"crypto/md5"
	"crypto/subtle"
	"strings"
)

// itoa64 is phpass's alphabet, used both for the iteration count character
// and for its little-endian base64 of the digest.
const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// phpassHash is a portable phpass hash: "$P$" (or phpBB's "$H$"), one
// character giving log2 of the round count, 8 characters of salt, and 22
// characters encoding the 16-byte MD5 result.
type phpassHash struct {
	setting string // the first 12 characters: prefix, count and salt
	rounds  int
	encoded string // the 22 characters of the digest, as stored
}

func parsePhpass(s string) (Verifier, error) {
	f := FormatPhpass
	if len(s) != 34 {
		return nil, malformed(f, "a portable hash is 34 characters long")
	}
	log2 := strings.IndexByte(itoa64, s[3])
	if log2 < 7 || log2 > 30 {
		return nil, malformed(f, "the count character is outside phpass's range")
	}
	if log2 > MaxPhpassLog2 {
		return nil, tooCostly(f, "2^%d rounds above 2^%d", log2, MaxPhpassLog2)
	}
	for i := 12; i < 34; i++ {
		if strings.IndexByte(itoa64, s[i]) < 0 {
			return nil, malformed(f, "the hash is not in phpass's alphabet")
		}
	}
	return &phpassHash{setting: s[:12], rounds: 1 << log2, encoded: s[12:]}, nil
}

func (h *phpassHash) Format() Format { return FormatPhpass }

// Verify runs phpass's portable scheme: MD5(salt‖password), then rounds
// times MD5(previous‖password), encoded with phpass's base64.
func (h *phpassHash) Verify(password []byte) (bool, error) {
	if err := checkPassword(password); err != nil {
		return false, err
	}
	buf := make([]byte, 0, md5.Size+len(password))
	sum := md5.Sum(append(append(buf, h.setting[4:12]...), password...))
	for i := 0; i < h.rounds; i++ {
		sum = md5.Sum(append(append(buf[:0], sum[:]...), password...))
	}
	got := phpassEncode(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(h.encoded)) == 1, nil
}

// phpassEncode is phpass's encode64: three bytes at a time, least
// significant six bits first.
func phpassEncode(in []byte) string {
	var out strings.Builder
	for i := 0; i < len(in); {
		v := uint(in[i])
		i++
		out.WriteByte(itoa64[v&0x3f])
		if i < len(in) {
			v |= uint(in[i]) << 8
		}
		out.WriteByte(itoa64[(v>>6)&0x3f])
		if i >= len(in) {
			break
		}
		i++
		if i < len(in) {
			v |= uint(in[i]) << 16
		}
		out.WriteByte(itoa64[(v>>12)&0x3f])
		if i >= len(in) {
			break
		}
		i++
		out.WriteByte(itoa64[(v>>18)&0x3f])
	}
	return out.String()
}
