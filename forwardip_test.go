package agmigrate

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestForwardedHeaders(t *testing.T) {
	for _, c := range []struct{ in, fwd, xff string }{
		{"203.0.113.7", "for=203.0.113.7", "203.0.113.7"},
		{"2001:db8::1", `for="[2001:db8::1]"`, "2001:db8::1"},
		{"::ffff:192.0.2.1", "for=192.0.2.1", "192.0.2.1"},
		{"fe80::1%eth0", `for="[fe80::1]"`, "fe80::1"},
		{"", "", ""},
		{"203.0.113.7, 198.51.100.1", "", ""},
		{"203.0.113.7\r\nX-Evil: 1", "", ""},
		{"unknown", "", ""},
		{"203.0.113.7:443", "", ""},
	} {
		fwd, xff, ok := forwardedHeaders(c.in)
		if fwd != c.fwd || xff != c.xff || ok != (c.fwd != "") {
			t.Errorf("%q: %q %q %v", c.in, fwd, xff, ok)
		}
	}
	h := http.Header{}
	forwardClientIP(h, "1.2.3.4, 5.6.7.8")
	if len(h) != 0 {
		t.Errorf("a list was forwarded: %v", h)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"7", 7 * time.Second}, {" 7 ", 7 * time.Second}, {"-1", 0}, {"1.5", 0}, {"soon", 0},
		{"999999", time.Hour}, {"99999999999999999999", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(c.in, now); got != c.want {
			t.Errorf("%q: %s, want %s", c.in, got, c.want)
		}
	}
}

// FuzzForwardedHeaders: whatever a ClientIP function returns, what is
// forwarded is one IP address and nothing else (no list, no header
// injection), the same in both headers.
func FuzzForwardedHeaders(f *testing.F) {
	for _, s := range []string{"203.0.113.7", "2001:db8::1", "::ffff:1.2.3.4", "fe80::1%eth0", "1.2.3.4, 5.6.7.8",
		"1.2.3.4\r\nX: y", `"[::1]"`, "for=1.2.3.4", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		fwd, xff, ok := forwardedHeaders(in)
		if !ok {
			if fwd != "" || xff != "" {
				t.Fatal("values without ok")
			}
			return
		}
		a, err := netip.ParseAddr(xff)
		if err != nil || a.String() != xff || a.Zone() != "" {
			t.Fatalf("X-Forwarded-For %q is not a plain address", xff)
		}
		want := "for=" + xff
		if a.Is6() {
			want = `for="[` + xff + `]"`
		}
		if fwd != want || strings.ContainsAny(fwd+xff, ",;\r\n ") {
			t.Fatalf("Forwarded %q for %q", fwd, xff)
		}
	})
}

// FuzzParseRetryAfter: a header from the network never gives a negative
// or unbounded pause.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "Wed, 21 Oct 2015 07:28:00 GMT", "-5", "1e9", "18446744073709551616"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		if d := parseRetryAfter(in, now); d < 0 || d > time.Hour {
			t.Fatalf("%q: %s", in, d)
		}
	})
}
