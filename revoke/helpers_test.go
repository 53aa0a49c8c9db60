package revoke_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// refreshWithUA refreshes a session at the fake's token endpoint the way a
// browser-facing refresh does: with a User-Agent and no x_device_info.
func refreshWithUA(t *testing.T, base, refreshToken, ua string) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "client_id": {"test-client"}, "refresh_token": {refreshToken}}
	req, err := http.NewRequest(http.MethodPost, base+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", ua)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d", resp.StatusCode)
	}
}
