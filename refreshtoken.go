package agmigrate

import (
	"encoding/base64"
	"encoding/json"

	"github.com/agmigrate/agmigrate/adminapi"
)

// An Authgear refresh token is "<offline grant id>.<random token>": a
// lowercase UUID, a dot, and a random string (32 letters and digits on
// the servers recorded). A refresh cookie of any other shape cannot be
// one, so it costs no call to Authgear.
const (
	minRefreshSecret = 16
	maxRefreshSecret = 256
)

// looksLikeRefreshToken reports whether rt has the shape of an Authgear
// refresh token.
func looksLikeRefreshToken(rt string) bool {
	if len(rt) < 37+minRefreshSecret || len(rt) > 37+maxRefreshSecret || rt[36] != '.' || !adminapi.IsUUID(rt[:36]) {
		return false
	}
	for i := 37; i < len(rt); i++ {
		c := rt[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// refreshDeviceInfo returns the x_device_info to send with a refresh, or
// "". Authgear's token endpoint refuses device info it cannot read a
// device model from (recorded case 181), while a refresh without it clears
// the session's device name (case 176): so only the SDKs' shapes (an "ios"
// or "android" object) are sent, and for browsers the User-Agent alone
// names the session ("Safari 17.0", case 178).
func refreshDeviceInfo(d adminapi.DeviceInfo) string {
	if d == nil {
		return ""
	}
	_, ios := d["ios"].(map[string]any)
	_, android := d["android"].(map[string]any)
	if !ios && !android {
		return ""
	}
	b, err := json.Marshal(d)
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
