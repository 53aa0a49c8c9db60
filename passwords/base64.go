package passwords

import (
	"encoding/base64"
	"strings"
)

// decodeB64 reads standard base64 with or without padding: PHC strings
// leave the padding out, Django, Keycloak and Firebase keep it.
func decodeB64(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, false
	}
	enc := base64.RawStdEncoding
	if strings.HasSuffix(s, "=") {
		enc = base64.StdEncoding
	}
	b, err := enc.Strict().DecodeString(s)
	return b, err == nil
}

// decodeAB64 reads passlib's adapted base64: the standard alphabet with
// "." for "+", and no padding.
func decodeAB64(s string) ([]byte, bool) {
	if strings.ContainsAny(s, "+=\r\n") {
		return nil, false
	}
	b, err := base64.RawStdEncoding.Strict().DecodeString(strings.ReplaceAll(s, ".", "+"))
	return b, err == nil
}

// parseUint reads a decimal with no sign, no leading zero and at most
// nine digits, so it fits any int and cannot overflow.
func parseUint(s string) (int, bool) {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// checkLengths applies the salt and derived-key bounds shared by the
// key-derivation formats.
func checkLengths(f Format, salt, key []byte) error {
	if len(salt) > MaxSaltLen {
		return malformed(f, "salt longer than %d bytes", MaxSaltLen)
	}
	if len(key) < MinHashLen {
		return malformed(f, "hash shorter than %d bytes", MinHashLen)
	}
	if len(key) > MaxHashLen {
		return malformed(f, "hash longer than %d bytes", MaxHashLen)
	}
	return nil
}
