package adminapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidNodeID is returned for a string that is not a relay node ID of
// the expected type.
var ErrInvalidNodeID = errors.New("adminapi: invalid node ID")

// NodeID encodes a relay global ID the way Authgear does:
// base64url without padding of "<typ>:<id>".
func NodeID(typ, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + id))
}

// UserNodeID turns a user's uuid (an access token's sub) into the node ID
// that createSession and node(id:) take.
func UserNodeID(userID string) string { return NodeID("User", userID) }

// ParseNodeID splits a relay node ID into its type and ID. It accepts only
// what Authgear accepts: unpadded base64url of "<type>:<id>".
func ParseNodeID(nodeID string) (typ, id string, err error) {
	// The decoder skips \r and \n; refuse them (and anything else outside
	// the alphabet) so that one node has exactly one spelling.
	for i := 0; i < len(nodeID); i++ {
		if c := nodeID[i]; !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return "", "", fmt.Errorf("%w: not unpadded base64url", ErrInvalidNodeID)
		}
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(nodeID)
	if err != nil || len(nodeID) == 0 {
		return "", "", fmt.Errorf("%w: not unpadded base64url", ErrInvalidNodeID)
	}
	typ, id, ok := strings.Cut(string(raw), ":")
	if !ok || typ == "" || id == "" {
		return "", "", fmt.Errorf("%w: not of the form <type>:<id>", ErrInvalidNodeID)
	}
	return typ, id, nil
}

// UserIDFromNodeID returns the uuid inside a User node ID.
func UserIDFromNodeID(nodeID string) (string, error) {
	typ, id, err := ParseNodeID(nodeID)
	if err != nil {
		return "", err
	}
	if typ != "User" {
		return "", fmt.Errorf("%w: a %s node, not a User", ErrInvalidNodeID, typ)
	}
	if !IsUUID(id) {
		return "", fmt.Errorf("%w: user ID is not a uuid", ErrInvalidNodeID)
	}
	return id, nil
}

// IsUUID reports whether s has the 8-4-4-4-12 hex shape of a uuid: the
// form of Authgear's user, session and grant IDs.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
