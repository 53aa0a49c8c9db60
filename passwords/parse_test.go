package passwords

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRefusesBadAndCostlyHashes(t *testing.T) {
	const salt, key = "c29tZXNhbHQ", "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	cases := []struct {
		name, hash string
		want       error
	}{
		{"empty", "", ErrUnsupported},
		{"plain text", "hunter2", ErrUnsupported},
		{"unknown bcrypt variant", "$2x$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ErrUnsupported},
		{"bcrypt cost 15", "$2a$15$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ErrTooCostly},
		{"bcrypt cost 31", "$2b$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ErrTooCostly},
		{"bcrypt cost 03", "$2b$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", ErrMalformed},
		{"bcrypt short", "$2a$05$CCCC", ErrMalformed},
		{"argon2 memory", "$argon2id$v=19$m=262145,t=2,p=1$" + salt + "$" + key, ErrTooCostly},
		{"argon2 memory 4 GiB", "$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key, ErrTooCostly},
		{"argon2 time", "$argon2id$v=19$m=256,t=11,p=1$" + salt + "$" + key, ErrTooCostly},
		{"argon2 threads", "$argon2id$v=19$m=4096,t=2,p=17$" + salt + "$" + key, ErrTooCostly},
		{"argon2 t=0", "$argon2id$v=19$m=256,t=0,p=1$" + salt + "$" + key, ErrMalformed},
		{"argon2 p=0", "$argon2id$v=19$m=256,t=2,p=0$" + salt + "$" + key, ErrMalformed},
		{"argon2 m<8p", "$argon2id$v=19$m=8,t=2,p=2$" + salt + "$" + key, ErrMalformed},
		{"argon2 huge number", "$argon2id$v=19$m=99999999999999999999,t=2,p=1$" + salt + "$" + key, ErrMalformed},
		{"argon2 version 16", "$argon2i$m=256,t=2,p=1$" + salt + "$" + key, ErrUnsupported},
		{"argon2 v=16", "$argon2i$v=16$m=256,t=2,p=1$" + salt + "$" + key, ErrUnsupported},
		{"argon2d", "$argon2d$v=19$m=256,t=2,p=1$" + salt + "$" + key, ErrUnsupported},
		{"argon2 short salt", "$argon2id$v=19$m=256,t=2,p=1$c29tZQ$" + key, ErrMalformed},
		{"argon2 short hash", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$c29tZXNhbHQ", ErrMalformed},
		{"argon2 bad base64", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$!!!!", ErrMalformed},
		{"argon2 missing $", "$argon2i$v=19$m=65536,t=2,p=1c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA", ErrMalformed},
		{"django iterations", "pbkdf2_sha256$2000001$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=", ErrTooCostly},
		{"django zero", "pbkdf2_sha256$0$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=", ErrMalformed},
		{"django leading zero", "pbkdf2_sha256$020000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=", ErrMalformed},
		{"django sha512", "pbkdf2_sha512$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=", ErrUnsupported},
		{"django wrong length", "pbkdf2_sha1$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=", ErrMalformed},
		{"phc iterations", "$pbkdf2-sha256$i=3000000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ", ErrTooCostly},
		{"phc wrong l", "$pbkdf2-sha256$i=1000,l=64$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ", ErrMalformed},
		{"phc md5", "$pbkdf2-md5$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ", ErrUnsupported},
		{"passlib zero-padded", "$pbkdf2$01212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc", ErrMalformed},
		{"passlib empty rounds", "$pbkdf2$$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc", ErrMalformed},
		{"passlib extra field", "$pbkdf2$1212$THDqatpidANpadlLeTeOEg$HV3oi1k5C5LQCgG1BMOL.BX4YZc$", ErrMalformed},
		{"phpass 2^19", "$P$H12345678LIjjb6PhecupozNBmDndU0", ErrTooCostly},
		{"phpass 2^30", "$P$S12345678LIjjb6PhecupozNBmDndU0", ErrTooCostly},
		{"phpass 2^6", "$P$412345678LIjjb6PhecupozNBmDndU0", ErrMalformed},
		{"phpass short", "$P$912345678LIjjb6Phecupo", ErrMalformed},
		{"phpass bad char", "$P$912345678LIjjb6PhecupozNBmDndU!", ErrMalformed},
		{"too long", "$argon2id$" + strings.Repeat("a", MaxHashStringLen), ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Parse(c.hash)
			if !errors.Is(err, c.want) || v != nil {
				t.Fatalf("Parse: %v, %v; want %v", v, err, c.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("%v is not a *FormatError", err)
			}
			if !strings.HasPrefix(err.Error(), "passwords: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
			if len(c.hash) > 20 && strings.Contains(err.Error(), c.hash[len(c.hash)-20:]) {
				t.Errorf("message %q holds part of the hash", err)
			}
			if ok, err2 := Verify(c.hash, []byte("password")); ok || !errors.Is(err2, c.want) {
				t.Errorf("Verify: %v, %v", ok, err2)
			}
		})
	}
}

func TestVerifyRefusesLongPasswords(t *testing.T) {
	hashes := []string{
		"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"pbkdf2_sha1$20000$seasalt2$pJt86NmjAweBY1StBvxCu7l1o9o=",
		"$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0",
	}
	long := []byte(strings.Repeat("a", MaxPasswordLen+1))
	for _, h := range hashes {
		if ok, err := Verify(h, long); ok || !errors.Is(err, ErrPasswordTooLong) {
			t.Errorf("%.12s…: %v, %v", h, ok, err)
		}
	}
}

func TestFirebaseScryptBounds(t *testing.T) {
	base := FirebaseParams{SignerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", SaltSeparator: "Bw==", Rounds: 8, MemCost: 14}
	const hash = "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="
	for name, c := range map[string]struct {
		p          FirebaseParams
		hash, salt string
		want       error
	}{
		"mem_cost 18": {FirebaseParams{base.SignerKey, "Bw==", 8, 18}, hash, "42xEC+ixf3L2lw==", ErrTooCostly},
		"rounds 17":   {FirebaseParams{base.SignerKey, "Bw==", 17, 14}, hash, "42xEC+ixf3L2lw==", ErrTooCostly},
		"rounds 0":    {FirebaseParams{base.SignerKey, "Bw==", 0, 14}, hash, "42xEC+ixf3L2lw==", ErrMalformed},
		"bad key":     {FirebaseParams{"%%%", "Bw==", 8, 14}, hash, "42xEC+ixf3L2lw==", ErrMalformed},
		"short hash":  {base, "lSrfV15cpx95", "42xEC+ixf3L2lw==", ErrMalformed},
		"bad salt":    {base, hash, "42xEC+ixf3L2lw=", ErrMalformed},
	} {
		if _, err := FirebaseScrypt(c.p, c.hash, c.salt); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}

func TestKeycloakRefusesOtherCredentials(t *testing.T) {
	for name, c := range map[string]struct {
		c    KeycloakCredential
		want error
	}{
		"otp":         {KeycloakCredential{Type: "otp", SecretData: []byte(`"{}"`), CredentialData: []byte(`"{}"`)}, ErrUnsupported},
		"md5-crypt":   {KeycloakCredential{Type: "password", HashedSaltedValue: "AAAAAAAAAAAAAAAAAAAAAA==", Salt: "AA==", Algorithm: "md5-crypt"}, ErrUnsupported},
		"not json":    {KeycloakCredential{Type: "password", SecretData: []byte(`"{"`), CredentialData: []byte(`"{}"`)}, ErrMalformed},
		"argon2 v1.0": {KeycloakCredential{Type: "password", SecretData: []byte(`{"value":"nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4=","salt":"c29tZXNhbHQ="}`), CredentialData: []byte(`{"hashIterations":2,"algorithm":"argon2","additionalParameters":{"version":["1.0"]}}`)}, ErrUnsupported},
		"too costly":  {KeycloakCredential{Type: "password", HashedSaltedValue: "qnA427fe69fAjkevcHZvnm7vp3MewnxKL4g2WLfI7U6teQVH1eR2L5DfcV0psPIfjGPtlZbkpnogYX+2TaSl6w==", Salt: "AA==", HashIterations: 5_000_000, Algorithm: "pbkdf2-sha256"}, ErrTooCostly},
	} {
		if _, err := Keycloak(c.c); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
