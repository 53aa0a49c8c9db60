package passwords

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

// knownAnswer is one published (or independently generated) hash with the
// password that produced it.
type knownAnswer struct {
	name, hash, password string
	format               Format
}

func (k knownAnswer) run(t *testing.T) {
	t.Helper()
	v, err := Parse(k.hash)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if v.Format() != k.format {
		t.Errorf("format %s, want %s", v.Format(), k.format)
	}
	ok, err := v.Verify([]byte(k.password))
	if err != nil || !ok {
		t.Fatalf("the right password: %v, %v", ok, err)
	}
	// The package-level Verify (Parse then Verify) with a wrong password;
	// one wrong password only, as the slow vectors take a second each.
	if ok, err := Verify(k.hash, []byte("x"+k.password)); ok || err != nil {
		t.Errorf("a wrong password accepted (%v, %v)", ok, err)
	}
}

func runAll(t *testing.T, cases []knownAnswer) {
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			k.run(t)
		})
	}
}

// Openwall crypt_blowfish's own test vectors (also in OpenBSD's and
// jBCrypt's tests). $2b$ differs from $2a$ only for passwords of 255 bytes
// or more, so the first vector under the $2b$ prefix is the same hash.
// The $2y$ vector is from Vapor's bcrypt tests.
func TestPasswordKnownAnswersBcrypt(t *testing.T) {
	runAll(t, []knownAnswer{
		{"U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", FormatBcrypt},
		{"U*U*", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK", "U*U*", FormatBcrypt},
		{"U*U*U", "$2a$05$XXXXXXXXXXXXXXXXXXXXXOAcXxm9kjPGEMsLznoKqmqw7tc8WCx4a", "U*U*U", FormatBcrypt},
		{"72 bytes", "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", FormatBcrypt},
		// bcrypt reads 72 bytes: the vector's full password is longer.
		{"beyond 72 bytes", "$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored", FormatBcrypt},
		{"2b prefix", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", FormatBcrypt},
		{"2y", "$2y$11$kHM/VXmCVsGXDGIVu9mD8eY/uEYI.Nva9sHgrLYuLzr0il28DDOGO", "Vapor3", FormatBcrypt},
		{"Django prefix", "bcrypt$$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", FormatBcrypt},
	})
}

// The argon2 reference implementation's src/test.c (phc-winner-argon2),
// version 0x13 vectors: password "password", salt "somesalt", 32-byte tags.
func TestPasswordKnownAnswersArgon2(t *testing.T) {
	runAll(t, []knownAnswer{
		{"i m=256 p=1", "$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8", "password", FormatArgon2i},
		{"i m=256 p=2", "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQ$T/XOJ2mh1/TIpJHfCdQan76Q5esCFVoT5MAeIM1Oq2E", "password", FormatArgon2i},
		{"i m=65536", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA", "password", FormatArgon2i},
		{"id m=256 p=1", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", "password", FormatArgon2id},
		{"id m=256 p=2", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc", "password", FormatArgon2id},
		{"id m=65536", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "password", FormatArgon2id},
		// Django's Argon2PasswordHasher writes "argon2" before the PHC string.
		{"Django prefix", "argon2$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", "password", FormatArgon2id},
	})
	// test.c's mismatch case: the hash of "passwore".
	if ok, err := Verify("$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$8iIuixkI73Js3G1uMbezQXD0b8LG4SXGsOwoQkdAQIM", []byte("password")); ok || err != nil {
		t.Errorf("test.c's mismatched hash: %v, %v", ok, err)
	}
}

// RFC 6070's PBKDF2-HMAC-SHA1 vectors, written as PHC strings.
func TestPasswordKnownAnswersPBKDF2RFC6070(t *testing.T) {
	b64 := base64.RawStdEncoding.EncodeToString
	phc := func(salt string, c int, dk string) string {
		key, err := hex.DecodeString(dk)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("$pbkdf2-sha1$i=%d,l=%d$%s$%s", c, len(key), b64([]byte(salt)), b64(key))
	}
	runAll(t, []knownAnswer{
		{"c=1", phc("salt", 1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"), "password", FormatPBKDF2PHC},
		{"c=2", phc("salt", 2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"), "password", FormatPBKDF2PHC},
		{"c=4096", phc("salt", 4096, "4b007901b765489abead49d926f721d065a429c1"), "password", FormatPBKDF2PHC},
		{"long", phc("saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"), "passwordPASSWORDpassword", FormatPBKDF2PHC},
		{"NUL", phc("sa\x00lt", 4096, "56fa6aa75548099dcc37d7f03425e0c3"), "pass\x00word", FormatPBKDF2PHC},
	})
	// RFC 6070's 16,777,216-iteration vector is beyond MaxPBKDF2Iterations:
	// refused before any work, as a hostile hash would be.
	_, err := Parse(phc("salt", 16777216, "eefe3d61cd4da4e4e9945b3d6ba2158c2634e984"))
	if !errors.Is(err, ErrTooCostly) {
		t.Errorf("16777216 iterations: %v, want ErrTooCostly", err)
	}
}

// Django's documented <algorithm>$<iterations>$<salt>$<hash>, with the
// values of Django's own tests (tests/auth_tests/test_hashers.py, Django
// 1.8 era with 20000 iterations, and 5.x with 1000000 for pbkdf2_sha256).
func TestPasswordKnownAnswersDjango(t *testing.T) {
	runAll(t, []knownAnswer{
		{"sha256", "pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=", "lètmein", FormatPBKDF2Django},
		{"sha256 seasalt2", "pbkdf2_sha256$20000$seasalt2$Flpve/uAcyo6+IFI6YAhjeABGPVbRQjzHDxRhqxewgw=", "lètmein", FormatPBKDF2Django},
		{"sha1", "pbkdf2_sha1$20000$seasalt2$pJt86NmjAweBY1StBvxCu7l1o9o=", "lètmein", FormatPBKDF2Django},
		{"sha256 1M", "pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=", "lètmein", FormatPBKDF2Django},
	})
}

// passlib's own test vectors (passlib/tests/test_handlers_pbkdf2.py), in
// its adapted base64, and a PHC-form SHA-256/SHA-512 pair generated with
// Python's hashlib.pbkdf2_hmac (no published vector in that notation was
// found): password "correct horse", salt bytes 0..15, 1000 iterations.
func TestPasswordKnownAnswersPBKDF2PHC(t *testing.T) {
	runAll(t, []knownAnswer{
		{"passlib sha1", "$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI", "password", FormatPBKDF2Passlib},
		{"passlib sha256", "$pbkdf2-sha256$1212$4vjV83LKPjQzk31VI4E0Vw$hsYF68OiOUPdDZ1Fg.fJPeq1h/gXXY7acBp9/6c.tmQ", "password", FormatPBKDF2Passlib},
		{"passlib sha512", "$pbkdf2-sha512$1212$RHY0Fr3IDMSVO/RSZyb5ow$eNLfBK.eVozomMr.1gYa17k9B7KIK25NOEshvhrSX.esqY3s.FvWZViXz4KoLlQI.BzY/YTNJOiKc5gBYFYGww", "password", FormatPBKDF2Passlib},
		{"phc sha256", "$pbkdf2-sha256$i=1000,l=32$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ", "correct horse", FormatPBKDF2PHC},
		{"phc sha512", "$pbkdf2-sha512$i=1000$AAECAwQFBgcICQoLDA0ODw$Xpx07WjVx4vCIvrmBRj8uOoVVtGqJqtUv2J5bhizSQs7osCteF7W4A61dZDqSIqQjO+dxO6p5FT/Uy7QRBXSXA", "correct horse", FormatPBKDF2PHC},
	})
}

// phpass: the known hash from phpass's own test.php, the phpBB $H$ and
// other vectors from passlib's phpass tests, and a WordPress-style 'B'
// (2^13) hash of a UTF-8 password from CraftCommons' tests.
func TestPasswordKnownAnswersPhpass(t *testing.T) {
	runAll(t, []knownAnswer{
		{"test.php", "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0", "test12345", FormatPhpass},
		{"phpBB H", "$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00", "test1", FormatPhpass},
		{"phpBB H 2", "$H$9PE8jEklgZhgLmZl5.HYJAzfGCQtzi1", "123456", FormatPhpass},
		{"longer", "$P$912345678LIjjb6PhecupozNBmDndU0", "thisisalongertestPW", FormatPhpass},
		{"2^8", "$P$612345678si5M0DDyPpmRCmcltU/YW/", "JohnRipper", FormatPhpass},
		{"UTF-8, 2^13", "$P$ByXWbzDvVAJ0jxvNp5sv4xYPIRXJJ1.", "ąćęłóńśźż", FormatPhpass},
	})
}

// Firebase's published example (github.com/firebase/scrypt README): the
// sample project parameters and user1's exported hash and salt.
func TestPasswordKnownAnswersFirebaseScrypt(t *testing.T) {
	params := FirebaseParams{
		SignerKey:     "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
		SaltSeparator: "Bw==",
		Rounds:        8,
		MemCost:       14,
	}
	const hash = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="
	v, err := FirebaseScrypt(params, hash, "42xEC+ixf3L2lw==")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := v.Verify([]byte("user1password")); !ok || err != nil {
		t.Fatalf("user1password: %v, %v", ok, err)
	}
	if ok, err := v.Verify([]byte("user1passwore")); ok || err != nil {
		t.Errorf("a wrong password: %v, %v", ok, err)
	}
	// Every parameter takes part: changing any one fails the check.
	for name, p := range map[string]FirebaseParams{
		"separator": {params.SignerKey, "CA==", 8, 14},
		"rounds":    {params.SignerKey, params.SaltSeparator, 7, 14},
		"mem_cost":  {params.SignerKey, params.SaltSeparator, 8, 13},
	} {
		v, err := FirebaseScrypt(p, hash, "42xEC+ixf3L2lw==")
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := v.Verify([]byte("user1password")); ok {
			t.Errorf("%s changed: still verifies", name)
		}
	}
}

// Salted SHA-2 has no published vectors in this notation; these were made
// with Python's hashlib (sha256(b"NaCl"+pw).hexdigest(), and
// base64(sha512(pw+bytes.fromhex("a1b2c3d4")))).
func TestPasswordKnownAnswersSaltedSHA(t *testing.T) {
	cases := []struct {
		p            SaltedSHAParams
		digest, salt string
	}{
		{SaltedSHAParams{"sha256", "prefix", "utf8"}, "cc0c19e7e854dad3a1ac59d270a830024c7d2efa248ea80d0a27223f30bbf504", "NaCl"},
		{SaltedSHAParams{"sha512", "suffix", "hex"}, "8OkY5NV3L6xK/hzwVYYEsQqfbkpDSJxtyOf5OxsfetlmJyHrMkcwZw/Plg/JD2ck/o/j/0qpstG+8nEDKKIGmg==", "a1b2c3d4"},
	}
	for _, c := range cases {
		v, err := SaltedSHA(c.p, c.digest, c.salt)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := v.Verify([]byte("correct horse")); !ok || err != nil {
			t.Errorf("%+v: %v, %v", c.p, ok, err)
		}
		// The salt on the other side does not verify.
		other := c.p
		other.Position = map[string]string{"prefix": "suffix", "suffix": "prefix"}[c.p.Position]
		v, _ = SaltedSHA(other, c.digest, c.salt)
		if ok, _ := v.Verify([]byte("correct horse")); ok {
			t.Errorf("%+v: verifies with the salt on the wrong side", c.p)
		}
	}
}

// Keycloak credentials as a realm export holds them. The pbkdf2 values
// were made with Python's hashlib.pbkdf2_hmac (password "correct horse",
// salt bytes 0..15, 64-byte keys as Keycloak stores them); the argon2 one
// is the reference implementation's argon2id vector written in Keycloak's
// credential shape.
func TestPasswordKnownAnswersKeycloak(t *testing.T) {
	cred := func(value, salt, data string) KeycloakCredential {
		sec := fmt.Sprintf(`{"value":%q,"salt":%q,"additionalParameters":{}}`, value, salt)
		return KeycloakCredential{Type: "password", SecretData: []byte(fmt.Sprintf("%q", sec)), CredentialData: []byte(fmt.Sprintf("%q", data))}
	}
	cases := []struct {
		name     string
		c        KeycloakCredential
		password string
		format   Format
	}{
		{"pbkdf2-sha256", cred("qnA427fe69fAjkevcHZvnm7vp3MewnxKL4g2WLfI7U6teQVH1eR2L5DfcV0psPIfjGPtlZbkpnogYX+2TaSl6w==", "AAECAwQFBgcICQoLDA0ODw==",
			`{"hashIterations":27500,"algorithm":"pbkdf2-sha256","additionalParameters":{}}`), "correct horse", FormatPBKDF2PHC},
		{"pbkdf2-sha512", cred("l4pqr0UVqxiWEnbGDBV//hzeVcB7ZgsFnr5Z+SZYIYjhXWCECCVC/oKM2WWMwBzQGCBfe2yb+20zK3Rr1rkPjg==", "AAECAwQFBgcICQoLDA0ODw==",
			`{"hashIterations":210000,"algorithm":"pbkdf2-sha512","additionalParameters":{}}`), "correct horse", FormatPBKDF2PHC},
		{"argon2", cred("nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4=", "c29tZXNhbHQ=",
			`{"hashIterations":2,"algorithm":"argon2","additionalParameters":{"hashLength":["32"],"memory":["256"],"type":["id"],"version":["1.3"],"parallelism":["1"]}}`), "password", FormatArgon2id},
		{"pre-11 shape", KeycloakCredential{Type: "password", HashedSaltedValue: "qnA427fe69fAjkevcHZvnm7vp3MewnxKL4g2WLfI7U6teQVH1eR2L5DfcV0psPIfjGPtlZbkpnogYX+2TaSl6w==",
			Salt: "AAECAwQFBgcICQoLDA0ODw==", HashIterations: 27500, Algorithm: "pbkdf2-sha256"}, "correct horse", FormatPBKDF2PHC},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			v, err := Keycloak(c.c)
			if err != nil {
				t.Fatal(err)
			}
			if v.Format() != c.format {
				t.Errorf("format %s, want %s", v.Format(), c.format)
			}
			if ok, err := v.Verify([]byte(c.password)); !ok || err != nil {
				t.Fatalf("%v, %v", ok, err)
			}
			if ok, _ := v.Verify([]byte(c.password + "!")); ok {
				t.Error("a wrong password verifies")
			}
		})
	}
}
