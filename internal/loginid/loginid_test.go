package loginid

import (
	"errors"
	"testing"
)

// The rows of authgear-loginid-normalization.md, default options unless set.
func TestNormalizeEmailReferenceRows(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		opts   Options
		want   string
		unique string // "" means same as want
	}{
		{"upper local", "REC1@rec.test", Options{}, "rec1@rec.test", ""},
		{"upper domain", "rec1@REC.TEST", Options{}, "rec1@rec.test", ""},
		{"fullwidth local", "\uff52ec1@rec.test", Options{}, "rec1@rec.test", ""},
		{"ligature ff", "\ufb00@rec.test", Options{}, "ff@rec.test", ""},
		{"sharp s", "Straße@rec.test", Options{}, "strasse@rec.test", ""},
		{"dotted capital I", "İstanbul@rec.test", Options{}, "i\u0307stanbul@rec.test", ""},
		{"fullwidth domain", "rec1@\uff52ec.test", Options{}, "rec1@\uff52ec.test", "rec1@xn--ec-r03n.test"},
		{"umlaut domain", "rec1@BÜCHER.example", Options{}, "rec1@bücher.example", "rec1@xn--bcher-kva.example"},
		{"ideographic full stop", "rec1@rec\u3002test", Options{}, "rec1@rec\u3002test", "rec1@xn--rectest-8o3f"},
		{"trailing space", "rec1@rec.test ", Options{}, "rec1@rec.test ", ""},
		{"dot in local", "r.ec1@rec.test", Options{}, "r.ec1@rec.test", ""},
		{"dot in local, ignore_dot_sign", "r.ec1@rec.test", Options{IgnoreDotSign: true}, "rec1@rec.test", ""},
		{"two @", "x@y@rec.test", Options{}, "x@y@rec.test", ""},
		{"case sensitive keeps local", "REC1@REC.TEST", Options{EmailCaseSensitive: true}, "REC1@rec.test", ""},
		{"case sensitive still NFKC", "\uff32ec1@rec.test", Options{EmailCaseSensitive: true}, "Rec1@rec.test", ""},
		{"plus tag kept", "rec1+tag@rec.test", Options{}, "rec1+tag@rec.test", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(KeyEmail, tt.in, tt.opts)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if got != tt.want {
				t.Fatalf("Normalize = %q, want %q", got, tt.want)
			}
			wantKey := tt.unique
			if wantKey == "" {
				wantKey = tt.want
			}
			key, err := UniqueKey(KeyEmail, got)
			if err != nil {
				t.Fatalf("UniqueKey: %v", err)
			}
			if key != wantKey {
				t.Fatalf("UniqueKey = %q, want %q", key, wantKey)
			}
		})
	}
}

func TestLookAlikeDomainIsAnotherAccount(t *testing.T) {
	a, err := Lookup(KeyEmail, "rec1@rec.test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Lookup(KeyEmail, "rec1@\uff52ec.test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatalf("fullwidth domain reached the same key %q", a)
	}
	c, err := Lookup(KeyEmail, "\uff52ec1@REC.test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a != c {
		t.Fatalf("fullwidth local part: %q != %q", c, a)
	}
}

func TestNormalizeErrors(t *testing.T) {
	tests := []struct {
		key, in string
		want    error
	}{
		{KeyEmail, "bad_email_address", ErrInvalid},
		{KeyEmail, "", ErrInvalid},
		{KeyUsername, "has space", ErrInvalid},
		{KeyUsername, "smile\u263a", ErrInvalid},
		{KeyPhone, "85212345678", ErrInvalid},
		{KeyPhone, "+852-1234-567a", ErrInvalid},
		{KeyPhone, "+123", ErrInvalid},
		{KeyPhone, "+1234567890123456", ErrInvalid},
		{KeyPhone, "+0123456789", ErrInvalid},
		{"foo", "x", ErrUnknownKey},
	}
	for _, tt := range tests {
		_, err := Normalize(tt.key, tt.in, Options{})
		if !errors.Is(err, tt.want) {
			t.Errorf("Normalize(%q, %q) err = %v, want %v", tt.key, tt.in, err, tt.want)
		}
	}
	if _, err := UniqueKey("foo", "x"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("UniqueKey(foo) err = %v", err)
	}
}

func TestNormalizeUsernameAndPhone(t *testing.T) {
	tests := []struct {
		key, in string
		opts    Options
		want    string
	}{
		{KeyUsername, "\uff21lice", Options{}, "alice"},
		{KeyUsername, "Alice", Options{}, "alice"},
		{KeyUsername, "Alice", Options{UsernameCaseSensitive: true}, "Alice"},
		{KeyUsername, "\uff21lice", Options{UsernameCaseSensitive: true}, "Alice"},
		{KeyPhone, "+85212345678", Options{}, "+85212345678"},
		{KeyPhone, "  +852 1234-5678", Options{}, "+85212345678"},
	}
	for _, tt := range tests {
		got, err := Normalize(tt.key, tt.in, tt.opts)
		if err != nil || got != tt.want {
			t.Errorf("Normalize(%q, %q) = %q, %v; want %q", tt.key, tt.in, got, err, tt.want)
		}
		key, err := UniqueKey(tt.key, got)
		if err != nil || key != got {
			t.Errorf("UniqueKey(%q, %q) = %q, %v", tt.key, got, key, err)
		}
	}
}

func TestCheckCreate(t *testing.T) {
	tests := []struct {
		key, in string
		opts    Options
		want    string
		err     error
	}{
		{KeyEmail, "  REC1@rec.test ", Options{}, "rec1@rec.test", nil},
		{KeyEmail, "rec1@\uff52ec.test", Options{}, "rec1@\uff52ec.test", nil},
		{KeyEmail, "bad_email_address", Options{}, "", ErrInvalid},
		{KeyEmail, "Rec <rec1@rec.test>", Options{}, "", ErrInvalid},
		{KeyEmail, "x@y@rec.test", Options{}, "", ErrInvalid},
		{KeyEmail, "   ", Options{}, "", ErrInvalid},
		{KeyEmail, "a+b@rec.test", Options{EmailBlockPlusSign: true}, "", ErrInvalid},
		{KeyUsername, "Alice_1", Options{}, "alice_1", nil},
		{KeyUsername, "Admin", Options{}, "", ErrInvalid},
		{KeyUsername, "Admin", Options{UsernameAllowReserved: true}, "admin", nil},
		{KeyUsername, "\uff21lice", Options{}, "", ErrInvalid},
		{KeyUsername, "\uff21lice", Options{UsernameAllowNonASCII: true}, "", ErrInvalid},
		{KeyUsername, "Ålice", Options{UsernameAllowNonASCII: true}, "ålice", nil},
		{KeyPhone, " +852 1234 5678 ", Options{}, "+85212345678", nil},
		{"foo", "x", Options{}, "", ErrUnknownKey},
	}
	for _, tt := range tests {
		got, err := CheckCreate(tt.key, tt.in, tt.opts)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("CheckCreate(%q, %q) = %q, %v; want %q, %v", tt.key, tt.in, got, err, tt.want, tt.err)
		}
	}
}

// FuzzNormalize checks that normalisation never panics, is idempotent, and
// that creation never stores something a lookup of the stored value misses.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"REC1@rec.test", "\uff52ec1@\uff52ec.test", "Straße@BÜCHER.example",
		"x@y@z", "", "@", "+852 1234 5678", "\uff21lice", "rec1@rec\u3002test", "a@xn--", "\xff@\xfe"} {
		f.Add(s, false, false)
	}
	f.Fuzz(func(t *testing.T, v string, caseSensitive, ignoreDot bool) {
		o := Options{EmailCaseSensitive: caseSensitive, IgnoreDotSign: ignoreDot, UsernameCaseSensitive: caseSensitive}
		for _, key := range []string{KeyEmail, KeyUsername, KeyPhone} {
			n, err := Normalize(key, v, o)
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("%s: error %v is not ErrInvalid", key, err)
				}
			} else if _, err := UniqueKey(key, n); err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("%s: UniqueKey error %v is not ErrInvalid", key, err)
			}
			stored, err := CheckCreate(key, v, o)
			if err != nil {
				continue
			}
			again, err := Normalize(key, stored, o)
			if err != nil {
				t.Fatalf("%s: stored value does not normalise: %v", key, err)
			}
			if again != stored {
				t.Fatalf("%s: not idempotent: %q -> %q", key, stored, again)
			}
		}
	})
}
