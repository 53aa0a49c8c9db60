package passwords

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// checkErr holds for every error a parser returns: one of the package's
// kinds, the package prefix, and none of a long input echoed back.
func checkErr(t *testing.T, err error, input string) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrTooCostly) {
		t.Fatalf("untyped error %v", err)
	}
	if !strings.HasPrefix(err.Error(), "passwords: ") {
		t.Fatalf("message %q lacks the package prefix", err)
	}
	if len(input) >= 40 && strings.Contains(err.Error(), input) {
		t.Fatalf("message %q echoes the input", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"bcrypt$$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2i$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"pbkdf2_sha256$20000$seasalt$oBSd886ysm3AqYun62DOdin8YcfbU1z9cksZSuLP9r0=",
		"$pbkdf2-sha256$i=1000,l=32$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
		"$pbkdf2$1212$OB.dtnSEXZK8U5cgxU/GYQ$y5LKPOplRmok7CZp/aqVDVg8zGI",
		"$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0",
		"$H$9aaaaaSXBjgypwqm.JsMssPLiS8YQ00",
		"", "$", "$$$$$",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if v != nil {
				t.Fatal("a Verifier with an error")
			}
			checkErr(t, err, s)
			return
		}
		if v == nil || v.Format() == "" {
			t.Fatal("no Verifier and no error")
		}
		// Checking a password is left out: a parsed hash may still cost up
		// to a second, and fuzzing must stay cheap.
	})
}

func FuzzKeycloakCredential(f *testing.F) {
	f.Add([]byte(`{"type":"password","secretData":"{\"value\":\"qnA427fe69fAjkevcHZvnm7vp3MewnxKL4g2WLfI7U6teQVH1eR2L5DfcV0psPIfjGPtlZbkpnogYX+2TaSl6w==\",\"salt\":\"AAECAwQFBgcICQoLDA0ODw==\",\"additionalParameters\":{}}","credentialData":"{\"hashIterations\":27500,\"algorithm\":\"pbkdf2-sha256\",\"additionalParameters\":{}}"}`))
	f.Add([]byte(`{"type":"password","secretData":"{\"value\":\"nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4=\",\"salt\":\"c29tZXNhbHQ=\"}","credentialData":"{\"hashIterations\":2,\"algorithm\":\"argon2\",\"additionalParameters\":{\"hashLength\":[\"32\"],\"memory\":[\"256\"],\"type\":[\"id\"],\"version\":[\"1.3\"],\"parallelism\":[\"1\"]}}"}`))
	f.Add([]byte(`{"type":"password","hashedSaltedValue":"AAAA","salt":"AA==","hashIterations":1,"algorithm":"pbkdf2"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var c KeycloakCredential
		if json.Unmarshal(b, &c) != nil {
			return
		}
		s, err := KeycloakPHC(c)
		if err != nil {
			checkErr(t, err, string(b))
			return
		}
		// What KeycloakPHC writes, Parse reads (or refuses with a typed error).
		if _, err := Parse(s); err != nil {
			checkErr(t, err, s)
		}
	})
}

func FuzzFirebaseScrypt(f *testing.F) {
	f.Add("jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", "Bw==", 8, 14,
		"lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==", "42xEC+ixf3L2lw==")
	f.Fuzz(func(t *testing.T, key, sep string, rounds, memCost int, hash, salt string) {
		v, err := FirebaseScrypt(FirebaseParams{key, sep, rounds, memCost}, hash, salt)
		if err != nil {
			checkErr(t, err, hash)
			return
		}
		// Small parameters only: the check itself is cheap then.
		if rounds <= 2 && memCost <= 4 {
			if _, err := v.Verify([]byte("pw")); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzSaltedSHA(f *testing.F) {
	f.Add("sha256", "prefix", "utf8", "cc0c19e7e854dad3a1ac59d270a830024c7d2efa248ea80d0a27223f30bbf504", "NaCl")
	f.Add("sha512", "suffix", "hex", "8OkY5NV3L6xK/hzwVYYEsQqfbkpDSJxtyOf5OxsfetlmJyHrMkcwZw/Plg/JD2ck/o/j/0qpstG+8nEDKKIGmg==", "a1b2c3d4")
	f.Fuzz(func(t *testing.T, alg, pos, enc, digest, salt string) {
		v, err := SaltedSHA(SaltedSHAParams{alg, pos, enc}, digest, salt)
		if err != nil {
			checkErr(t, err, digest)
			return
		}
		if _, err := v.Verify([]byte("pw")); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzReadSidecar(f *testing.F) {
	f.Add([]byte(`{"login_id_key":"email","login_id":"a@example.com","format":"phpass","hash":"$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}` + "\n"))
	f.Add([]byte(`{"login_id_key":"email","login_id":"u@test.com","format":"firebase-scrypt","hash":"AAAA","salt":"AA==","firebase":{"base64_signer_key":"AAAA","base64_salt_separator":"Bw==","rounds":8,"mem_cost":14}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := ReadSidecar(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrMalformed) || !strings.HasPrefix(err.Error(), "passwords: ") {
				t.Fatalf("error %v", err)
			}
			return
		}
		for _, e := range entries {
			if _, err := e.Verifier(); err != nil {
				checkErr(t, err, e.Hash)
			}
		}
	})
}
