package authgeartest

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
)

// iosModels maps the iOS machine codes the fake knows to the model names
// Authgear shows as a session's displayName. Unknown codes show as is.
var iosModels = map[string]string{
	"iPhone14,2": "iPhone 13 Pro", "iPhone14,3": "iPhone 13 Pro Max", "iPhone14,5": "iPhone 13",
	"iPhone14,7": "iPhone 14", "iPhone14,8": "iPhone 14 Plus",
	"iPhone15,2": "iPhone 14 Pro", "iPhone15,3": "iPhone 14 Pro Max",
	"iPhone15,4": "iPhone 15", "iPhone15,5": "iPhone 15 Plus",
	"iPhone16,1": "iPhone 15 Pro", "iPhone16,2": "iPhone 15 Pro Max",
}

// decodeDeviceInfo reads base64url (no padding) JSON object device info,
// as createSession's deviceInfo and the token endpoint's x_device_info
// carry it. ok is false when it is not such an object.
func decodeDeviceInfo(raw string) (m map[string]any, ok bool) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	if err != nil || json.Unmarshal(b, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

// deviceModel is the device model Authgear derives from device info in the
// SDKs' shapes (iOS or Android); "" when it cannot.
func deviceModel(m map[string]any) string {
	if code := deviceString(m, "ios", "uname", "machine"); code != "" {
		if name, ok := iosModels[code]; ok {
			return name
		}
		return code
	}
	if model := deviceString(m, "android", "Build", "MODEL"); model != "" {
		return model
	}
	return ""
}

// applicationName is the app name in device info; "" when absent.
func applicationName(m map[string]any) string {
	if n := deviceString(m, "ios", "NSBundle", "CFBundleDisplayName"); n != "" {
		return n
	}
	return deviceString(m, "android", "PackageInfo", "packageName")
}

var (
	safariUA  = regexp.MustCompile(`Version/([0-9]+\.[0-9]+)(?:\.[0-9]+)? (?:Mobile/\S+ )?Safari/`)
	chromeUA  = regexp.MustCompile(`(?:Chrome|CriOS)/([0-9]+\.[0-9]+\.[0-9]+)`)
	firefoxUA = regexp.MustCompile(`Firefox/([0-9]+\.[0-9]+)`)
	edgeUA    = regexp.MustCompile(`Edg/([0-9]+\.[0-9]+\.[0-9]+)`)
)

// userAgentName is the browser name and version Authgear shows for a
// session without device info ("Safari 17.0"); "" for a user agent it does
// not recognise, such as a server's HTTP client. The fake knows the common
// browsers only.
func userAgentName(ua string) string {
	switch {
	case edgeUA.MatchString(ua):
		return "Edge " + edgeUA.FindStringSubmatch(ua)[1]
	case chromeUA.MatchString(ua):
		return "Chrome " + chromeUA.FindStringSubmatch(ua)[1]
	case firefoxUA.MatchString(ua):
		return "Firefox " + firefoxUA.FindStringSubmatch(ua)[1]
	case safariUA.MatchString(ua):
		return "Safari " + safariUA.FindStringSubmatch(ua)[1]
	}
	return ""
}

// sessionDisplayName is what the Session node shows as displayName.
func (g *grant) displayName() string {
	if m := deviceModel(g.deviceInfo); m != "" {
		return m
	}
	return userAgentName(g.userAgent)
}
