package passwords

// Bounds on the parameters a hash may ask for. They sit well above what
// each system uses by default (noted per constant) and keep one check
// under about a second of CPU and 256 MiB of memory on a current server.
// A hash beyond them is refused with ErrTooCostly before any work.
const (
	// MaxPasswordLen is the longest typed password accepted, in bytes.
	// phpass hashes the password once per round, so its cost grows with
	// the password's length.
	MaxPasswordLen = 1024

	// MaxBcryptCost bounds bcrypt's cost (2^cost rounds). Auth0 uses 10,
	// most libraries 10 to 12; 14 takes about a second.
	MaxBcryptCost = 14

	// MaxArgon2Memory bounds argon2's m, in KiB (256 MiB). Keycloak uses
	// 7168, the reference CLI 4096, OWASP suggests 19456 to 47104.
	MaxArgon2Memory = 256 * 1024
	// MaxArgon2Time bounds argon2's t (passes over memory).
	MaxArgon2Time = 10
	// MaxArgon2Threads bounds argon2's p (lanes).
	MaxArgon2Threads = 16
	// MaxArgon2Work bounds m·t, the KiB argon2 fills over all its passes
	// (1 GiB): the two bounds above alone would admit 256 MiB × 10 passes,
	// two and a half times a bcrypt cost-14 check. PHP writes 64 MiB × 4,
	// libsodium's MODERATE 256 MiB × 3, Django 100 MiB × 2.
	MaxArgon2Work = 1 << 20

	// MaxScryptMemCost bounds Firebase's mem_cost: N = 2^mem_cost. Firebase
	// projects use 14.
	MaxScryptMemCost = 17
	// MaxScryptRounds bounds Firebase's rounds (scrypt's r). Firebase
	// projects use 8. With MaxScryptMemCost this caps memory at
	// 128·N·r = 256 MiB.
	MaxScryptRounds = 16

	// MaxPBKDF2Iterations bounds PBKDF2's iteration count. Django 5.2 uses
	// 1,000,000 for SHA-256; Keycloak 27,500 (older) to 600,000
	// (pbkdf2-sha256) or 210,000 (pbkdf2-sha512).
	MaxPBKDF2Iterations = 2_000_000

	// MaxPhpassLog2 bounds phpass's iteration count, 2^log2 MD5 rounds.
	// WordPress writes 13 ('B'), phpBB 11 ('9'); phpass itself allows up to
	// 30, which would take minutes.
	MaxPhpassLog2 = 18

	// MinHashLen is the shortest derived key compared: a shorter one would
	// let many wrong passwords match by chance.
	MinHashLen = 16
	// MaxHashLen bounds a derived key's length.
	MaxHashLen = 128
	// MaxSaltLen bounds a salt's length.
	MaxSaltLen = 1024
	// MaxHashStringLen bounds the whole hash string (or sidecar line) read.
	MaxHashStringLen = 4096
)
