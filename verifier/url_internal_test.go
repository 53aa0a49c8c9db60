package verifier

import (
	"errors"
	"testing"
)

func TestCheckURL(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]error{
		"https://myapp.authgear.cloud":  nil,
		"http://127.0.0.1:3000":         nil,
		"http://127.1.2.3":              nil,
		"http://[::1]:8080/x":           nil,
		"http://localhost:3000":         nil,
		"http://LocalHost.":             nil,
		"http://localhost.evil.example": ErrInsecureURL,
		"http://127.0.0.1.nip.io":       ErrInsecureURL,
		"http://0.0.0.0":                ErrInsecureURL,
		"http://10.0.0.1":               ErrInsecureURL,
		"http://[::ffff:8.8.8.8]":       ErrInsecureURL,
		"ftp://example.com":             ErrConfig,
		"/relative":                     ErrConfig,
	} {
		err := checkURL("URL", raw, false)
		if (want == nil) != (err == nil) || (want != nil && (!errors.Is(err, want) || !errors.Is(err, ErrConfig))) {
			t.Errorf("%s: %v, want %v", raw, err, want)
		}
	}
	if err := checkURL("URL", "http://authgear.example", true); err != nil {
		t.Errorf("insecure allowed: %v", err)
	}
}
