package agmigrate

import (
	"net/url"
	"testing"
)

// FuzzCaptureLoginForm: the capture wrapper's form reader never panics,
// and whatever it takes as the login ID and the password is what
// url.ParseQuery (r.FormValue) gives the legacy handler, as its only
// value.
func FuzzCaptureLoginForm(f *testing.F) {
	for _, s := range []string{
		"email=alice%40example.com&password=p%40ss+word",
		"email=a@b.c&password=x&password=y",
		"password=%zz&email=a@b.c",
		"email=a@b.c;password=x",
		"email=a@b.c&&password=%E2%82%AC&other=1",
		"%65mail=a@b.c&pass%77ord=x",
		"email=&password=x",
		"email=a@b.c&password=%",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		login, pw, ok := loginForm(body, "email", "password")
		vals, _ := url.ParseQuery(string(body))
		if ok {
			if got := vals["password"]; len(got) != 1 || got[0] != string(pw) {
				t.Fatalf("password %q, ParseQuery %q", pw, got)
			}
			if got := vals["email"]; len(got) != 1 || got[0] != login {
				t.Fatalf("login ID %q, ParseQuery %q", login, got)
			}
		} else if login != "" || pw != nil {
			t.Fatal("values returned with ok false")
		}
		b, err := unescapeForm(body)
		s, serr := url.QueryUnescape(string(body))
		if (err == nil) != (serr == nil) || (err == nil && string(b) != s) {
			t.Fatalf("unescapeForm %q %v, QueryUnescape %q %v", b, err, s, serr)
		}
	})
}
