package passwords

import (
	"crypto/subtle"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2Hash is a parsed PHC string of argon2id or argon2i.
type argon2Hash struct {
	format       Format
	time, memory uint32
	threads      uint8
	salt, key    []byte
}

// parseArgon2 reads $argon2id$v=19$m=M,t=T,p=P$salt$hash (salt and hash
// in standard base64 without padding, as the reference implementation
// writes them). Only version 19 (0x13), the one golang.org/x/crypto
// implements, is accepted; a string without v= is version 16.
func parseArgon2(s string) (Verifier, error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) < 2 {
		return nil, malformed("", "not a PHC string")
	}
	var f Format
	switch parts[1] {
	case "argon2id":
		f = FormatArgon2id
	case "argon2i":
		f = FormatArgon2i
	case "argon2d", "argon2ds":
		return nil, unsupported(Format(parts[1]), "argon2d is not used for passwords and not verified")
	default:
		return nil, unsupported("", "unknown argon2 variant")
	}
	if len(parts) == 5 && strings.HasPrefix(parts[2], "m=") {
		return nil, unsupported(f, "version 16 (no v=) is not supported; only v=19")
	}
	if len(parts) != 6 || parts[0] != "" {
		return nil, malformed(f, "want $%s$v=19$m=…,t=…,p=…$salt$hash", f)
	}
	if parts[2] != "v=19" {
		if strings.HasPrefix(parts[2], "v=") {
			return nil, unsupported(f, "only version 19 is supported")
		}
		return nil, malformed(f, "the version field is not v=…")
	}
	h := &argon2Hash{format: f}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return nil, malformed(f, "parameters are not m=…,t=…,p=…")
	}
	var vals [3]int
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(params[i], name)
		if !ok {
			return nil, malformed(f, "parameters are not m=…,t=…,p=…")
		}
		n, ok := parseUint(v)
		if !ok {
			return nil, malformed(f, "parameter %s is not a number", strings.TrimSuffix(name, "="))
		}
		vals[i] = n
	}
	m, t, p := vals[0], vals[1], vals[2]
	switch {
	case t < 1 || p < 1:
		return nil, malformed(f, "t and p must be at least 1")
	case m < 8*p:
		return nil, malformed(f, "m must be at least 8·p")
	case m > MaxArgon2Memory:
		return nil, tooCostly(f, "m=%d KiB above %d", m, MaxArgon2Memory)
	case t > MaxArgon2Time:
		return nil, tooCostly(f, "t=%d above %d", t, MaxArgon2Time)
	case p > MaxArgon2Threads:
		return nil, tooCostly(f, "p=%d above %d", p, MaxArgon2Threads)
	case m*t > MaxArgon2Work:
		return nil, tooCostly(f, "m·t=%d KiB above %d", m*t, MaxArgon2Work)
	}
	h.memory, h.time, h.threads = uint32(m), uint32(t), uint8(p)
	var ok bool
	if h.salt, ok = decodeB64(parts[4]); !ok {
		return nil, malformed(f, "salt is not base64")
	}
	if h.key, ok = decodeB64(parts[5]); !ok {
		return nil, malformed(f, "hash is not base64")
	}
	if len(h.salt) < 8 {
		return nil, malformed(f, "salt shorter than argon2's minimum of 8 bytes")
	}
	if err := checkLengths(f, h.salt, h.key); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *argon2Hash) Format() Format { return h.format }

func (h *argon2Hash) Verify(password []byte) (bool, error) {
	if err := checkPassword(password); err != nil {
		return false, err
	}
	var got []byte
	if h.format == FormatArgon2id {
		got = argon2.IDKey(password, h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	} else {
		got = argon2.Key(password, h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	}
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}
