// Package passwords checks a typed password against a password hash
// exported from a legacy system, so a login handler can accept users whose
// hash Authgear cannot import (Authgear's User Import API takes bcrypt
// only) and then hand the password to Authgear.
//
// Verify (and Parse) read self-describing hash strings:
//
//	bcrypt           $2a$, $2b$, $2y$ (and Django's "bcrypt$$2b$…")
//	argon2id/argon2i PHC strings, $argon2id$v=19$m=…,t=…,p=…$salt$hash
//	                 (and Django's "argon2$argon2id$…")
//	PBKDF2           Django:  pbkdf2_sha256$iterations$salt$hash, pbkdf2_sha1$…
//	                 PHC:     $pbkdf2-sha256$i=…[,l=…]$salt$hash (also -sha1, -sha512),
//	                          salt and hash in standard base64 without padding
//	                 passlib: $pbkdf2$rounds$salt$hash (SHA-1), $pbkdf2-sha256$…,
//	                          $pbkdf2-sha512$…, in passlib's adapted base64
//	phpass           $P$ and $H$ portable hashes (WordPress, phpBB)
//
// Formats whose hash string does not say everything needed come with
// explicit constructors: FirebaseScrypt (the project's hash parameters),
// SaltedSHA (the salt's position and encoding), and Keycloak (a credential
// from a realm export). Sidecar files (Entry, ReadSidecar) carry any of them
// with the settings they need, one JSON object per line.
//
// Every hash is checked against bounds before any work is done (see the
// Max… constants), so a hostile or corrupt hash cannot make one check cost
// more than about a second of CPU or more than 256 MiB of memory; a hash
// beyond them gets ErrTooCostly. Comparisons of derived keys are constant
// time. Error messages never hold the password or the hash.
//
// The primitives come from golang.org/x/crypto (bcrypt, argon2, scrypt,
// pbkdf2) and the standard library (MD5 and SHA-2 for phpass and salted
// SHA, AES-CTR for Firebase's scrypt).
package passwords
