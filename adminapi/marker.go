package adminapi

// MarkerUserAgent is the User-Agent the client sends by default. Authgear
// records the User-Agent of the createSession call as the new session's
// userAgent, but only until the session's first refresh replaces it
// (within the access token's lifetime, recorded cases 171-181), so it
// cannot be what finds agmigrate's sessions. Package revoke finds them
// through the session ledger (agmigrate.SessionLedger); this marker is
// only its fallback (revoke.Config.Marker) for sessions created before
// the ledger existed and not refreshed since.
const MarkerUserAgent = "agmigrate-adminapi"

// DeviceInfoMarkerKey is the device-info key agmigrate adds to the sessions
// it creates (MarkDeviceInfo). Authgear stores the device info with the
// session but its Admin API returns only names derived from the SDK shapes
// (displayName, applicationName), so the key is for Authgear's own records
// and for authgeartest, not for finding sessions through the Admin API.
const DeviceInfoMarkerKey = "agmigrate"

// MarkDeviceInfo returns a copy of d with DeviceInfoMarkerKey set to an
// object holding "session": "migrated" (merged into what d already has
// under that key). d may be nil.
func MarkDeviceInfo(d DeviceInfo) DeviceInfo {
	out := make(DeviceInfo, len(d)+1)
	for k, v := range d {
		out[k] = v
	}
	mark := map[string]any{}
	if prev, ok := d[DeviceInfoMarkerKey].(map[string]any); ok {
		for k, v := range prev {
			mark[k] = v
		}
	}
	mark["session"] = "migrated"
	out[DeviceInfoMarkerKey] = mark
	return out
}

// HasDeviceInfoMarker reports whether d carries MarkDeviceInfo's marker.
func HasDeviceInfoMarker(d map[string]any) bool {
	m, _ := d[DeviceInfoMarkerKey].(map[string]any)
	return m["session"] == "migrated"
}
