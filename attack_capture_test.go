package agmigrate_test

import (
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/agmigrate/agmigrate"
	"github.com/agmigrate/agmigrate/authgeartest"
)

// Password capture reads the login form itself and the legacy handler
// reads it again. Where the two parsers can disagree on the login ID, the
// password the legacy system checked for the attacker's account would be
// set on (or open a session of) the account the capture read. Legacy
// logins are seldom Go: PHP drops leading spaces from field names and
// turns "." and " " into "_", keeping the last copy; older Rack and Python
// split fields on ";" too; Java servlets read the query string first.

// formParser is how one legacy stack reads a login form.
type formParser func(r *http.Request, body string) url.Values

// splitForm reads name=value pairs split by seps, each name passed
// through mangle; later values come last.
func splitForm(body, seps string, mangle func(string) string) url.Values {
	out := url.Values{}
	for _, pair := range strings.FieldsFunc(body, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 == nil && err2 == nil {
			out[mangle(k)] = append(out[mangle(k)], v)
		}
	}
	return out
}

var legacyParsers = map[string]struct {
	parse formParser
	last  bool // the stack keeps the last copy of a field
}{
	"PHP": {func(_ *http.Request, body string) url.Values {
		return splitForm(body, "&", func(k string) string {
			return strings.NewReplacer(" ", "_", ".", "_").Replace(strings.TrimLeft(k, " "))
		})
	}, true},
	"Rack": {func(_ *http.Request, body string) url.Values {
		return splitForm(body, "&;", func(k string) string { return k })
	}, true},
	"servlet with a charset": {func(r *http.Request, body string) url.Values {
		// Servlet containers decode a form in the charset its
		// Content-Type names.
		if _, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); !strings.EqualFold(params["charset"], "utf-16le") {
			return splitForm(body, "&", func(k string) string { return k })
		}
		utf16le := func(s string) string {
			u := make([]uint16, len(s)/2)
			for i := range u {
				u[i] = uint16(s[2*i]) | uint16(s[2*i+1])<<8
			}
			return string(utf16.Decode(u))
		}
		out := url.Values{}
		for k, vs := range splitForm(body, "&", func(k string) string { return k }) {
			for _, v := range vs {
				out[utf16le(k)] = append(out[utf16le(k)], utf16le(v))
			}
		}
		return out
	}, false},
	"servlet": {func(r *http.Request, body string) url.Values {
		out := r.URL.Query() // query string parameters come first
		for k, vs := range splitForm(body, "&", func(k string) string { return k }) {
			out[k] = append(out[k], vs...)
		}
		return out
	}, false},
}

// parsedLogin is a legacy login handler that reads the form as parse does
// and accepts the passwords it knows.
func parsedLogin(parse formParser, last bool, passwords map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := new(strings.Builder)
		buf := make([]byte, 512)
		for {
			n, err := r.Body.Read(buf)
			raw.WriteString(string(buf[:n]))
			if err != nil {
				break
			}
		}
		f := parse(r, raw.String())
		pick := func(k string) string {
			vs := f[k]
			switch {
			case len(vs) == 0:
				return ""
			case last:
				return vs[len(vs)-1]
			}
			return vs[0]
		}
		if want, ok := passwords[pick("email")]; !ok || want != pick("password") {
			http.Error(w, "wrong password", http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte("welcome"))
	})
}

func TestAttackCaptureFormParserDifferential(t *testing.T) {
	t.Parallel()
	const attackerPW = "attacker-password-1"
	for name, p := range legacyParsers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, authgeartest.Options{})
			kate := w.fake.AddUser(authgeartest.User{Email: "kate@example.com"}) // no password in Authgear yet
			legacy := parsedLogin(p.parse, p.last, map[string]string{"attacker@evil.test": attackerPW, "kate@example.com": "kates-own-password"})
			c, _ := w.capturer(agmigrate.CaptureConfig{Session: true}, nil)
			h, err := c.Handler(agmigrate.CaptureForm{Succeeded: agmigrate.StatusIs(http.StatusOK)}, legacy)
			if err != nil {
				t.Fatal(err)
			}
			// The attacker's legacy login ID and password are what the bytes
			// of kate's address and of a password read as UTF-16.
			le := func(s string) string {
				var b strings.Builder
				for _, r := range s {
					fmt.Fprintf(&b, "%%%02X%%00", r)
				}
				return b.String()
			}
			passwords := map[string]string{"kate@example.com": "kates-own-password", "attacker@evil.test": attackerPW}
			if name == "servlet with a charset" {
				passwords["\u616b\u6574\u6540\u6178\u706d\u656c\u632e\u6d6f"] = "\u7461\u6174\u6b63\u7265\u702d\u7361\u7773\u726f\u2d64\u3231"
			}
			legacy = parsedLogin(p.parse, p.last, passwords)
			if h, err = c.Handler(agmigrate.CaptureForm{Succeeded: agmigrate.StatusIs(http.StatusOK)}, legacy); err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("POST", "/login", strings.NewReader("email=kate%40example.com&password=attacker-password-12&"+
				le("email")+"=kate%40example.com&"+le("password")+"=attacker-password-12"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-16le")
			h.ServeHTTP(httptest.NewRecorder(), r)
			if w.fake.CheckPassword("kate@example.com", "attacker-password-12") || w.fake.SessionCount(kate) != 0 {
				t.Fatalf("a form in UTF-16: the attacker's password captured for kate; sessions %d", w.fake.SessionCount(kate))
			}
			for _, tc := range []struct{ target, body string }{
				{"/login", "email=kate%40example.com&%20email=attacker%40evil.test&password=" + attackerPW},
				{"/login", "email=kate%40example.com&e.mail=x&password=" + attackerPW + "&%20%20email=attacker%40evil.test"},
				{"/login", "email=kate%40example.com&x=1;email=attacker%40evil.test&password=" + attackerPW},
				{"/login?email=attacker%40evil.test", "email=kate%40example.com&password=" + attackerPW},
			} {
				rec := postForm(h, tc.target, tc.body)
				if rec.Code == http.StatusOK && w.fake.CheckPassword("kate@example.com", attackerPW) || w.fake.SessionCount(kate) != 0 {
					t.Fatalf("%s %s: the attacker's password (checked by the legacy login for the attacker) was captured for kate; sessions %d",
						tc.target, tc.body, w.fake.SessionCount(kate))
				}
			}
			// Kate's own sign-in is captured: the checks above see a capture.
			if rec := postForm(h, "/login", "email=kate%40example.com&password=kates-own-password"); rec.Code != http.StatusOK ||
				!w.fake.CheckPassword("kate@example.com", "kates-own-password") || w.fake.SessionCount(kate) != 1 {
				t.Fatalf("kate's own sign-in: %d, sessions %d", rec.Code, w.fake.SessionCount(kate))
			}
		})
	}
}
