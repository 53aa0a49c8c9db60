package passwords

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSidecarRoundTrip(t *testing.T) {
	fb := &FirebaseParams{SignerKey: "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==", SaltSeparator: "Bw==", Rounds: 8, MemCost: 14}
	entries := []Entry{
		{LoginIDKey: "email", LoginID: "user1@test.com", LegacyID: "kYi4EvWQlQTKSfnJ3dRSP6IH3ed2", Format: FormatFirebaseScrypt,
			Hash: "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==", Salt: "42xEC+ixf3L2lw==", Firebase: fb},
		{LoginIDKey: "username", LoginID: "wp-admin", Format: FormatPhpass, Hash: "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"},
		{LoginIDKey: "email", LoginID: "sha@example.com", Format: FormatSaltedSHA, Hash: "cc0c19e7e854dad3a1ac59d270a830024c7d2efa248ea80d0a27223f30bbf504", Salt: "NaCl",
			SaltedSHA: &SaltedSHAParams{"sha256", "prefix", "utf8"}},
	}
	path := filepath.Join(t.TempDir(), "hashes.jsonl")
	// A file that was there with wider permissions ends up 0600.
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteSidecar(path, entries); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadSidecar(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(entries) {
		t.Fatalf("%d entries read, want %d", len(got), len(entries))
	}
	idx := NewSidecar(got)
	for _, c := range []struct{ key, id, password string }{
		{"email", "USER1@test.com", "user1password"},
		{"username", "wp-admin", "test12345"},
		{"email", "sha@example.com", "correct horse"},
	} {
		e, ok := idx.Lookup(c.key, c.id)
		if !ok {
			t.Fatalf("%s not found", c.id)
		}
		if ok, err := e.Verify([]byte(c.password)); !ok || err != nil {
			t.Errorf("%s: %v, %v", c.id, ok, err)
		}
		if ok, _ := e.Verify([]byte("nope")); ok {
			t.Errorf("%s: a wrong password verifies", c.id)
		}
	}
	if _, ok := idx.Lookup("username", "WP-ADMIN"); ok {
		t.Error("usernames are matched exactly; the index folded case")
	}
}

func TestSidecarEntryFormatMustMatch(t *testing.T) {
	e := Entry{LoginIDKey: "email", LoginID: "a@example.com", Format: FormatArgon2id, Hash: "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"}
	if _, err := e.Verify([]byte("test12345")); !errors.Is(err, ErrMalformed) {
		t.Errorf("a phpass hash under format argon2id: %v", err)
	}
	e = Entry{LoginIDKey: "email", LoginID: "a@example.com", Format: FormatFirebaseScrypt, Hash: "x"}
	if _, err := e.Verify([]byte("x")); !errors.Is(err, ErrMalformed) {
		t.Errorf("firebase entry without parameters: %v", err)
	}
}

func TestReadSidecarReportsLinesNotContent(t *testing.T) {
	const secret = "$P$9IQRaTwmfeRo7ud9Fh4E2PdI0S3r.L0"
	in := `{"login_id_key":"email","login_id":"a@example.com","format":"phpass","hash":"` + secret + `"}
{"login_id_key":"email","login_id":"b@example.com","hash":"` + secret + `","extra":1}
`
	_, err := ReadSidecar(strings.NewReader(in))
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err %v", err)
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "b@example.com") {
		t.Errorf("message %q holds the line's content", err)
	}
	if _, err := ReadSidecar(bytes.NewReader([]byte(`{"login_id":"a"}`))); !errors.Is(err, ErrMalformed) {
		t.Errorf("entry without hash: %v", err)
	}
}
