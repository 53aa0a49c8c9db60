package passwords

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
)

// KeycloakCredential is a password credential as Keycloak writes it in a
// realm export (users[].credentials[]) and in its admin API. Since
// Keycloak 11 secretData and credentialData are JSON documents inside
// strings; earlier versions put hashedSaltedValue, salt, hashIterations
// and algorithm directly on the credential. Both are read.
type KeycloakCredential struct {
	Type           string          `json:"type"`
	SecretData     json.RawMessage `json:"secretData,omitempty"`
	CredentialData json.RawMessage `json:"credentialData,omitempty"`

	HashedSaltedValue string `json:"hashedSaltedValue,omitempty"`
	Salt              string `json:"salt,omitempty"`
	HashIterations    int    `json:"hashIterations,omitempty"`
	Algorithm         string `json:"algorithm,omitempty"`
}

type keycloakSecret struct {
	Value string `json:"value"`
	Salt  string `json:"salt"`
}

type keycloakData struct {
	HashIterations       int                 `json:"hashIterations"`
	Algorithm            string              `json:"algorithm"`
	AdditionalParameters map[string][]string `json:"additionalParameters"`
}

// unquoteDoc reads a JSON document that may itself be held in a JSON
// string, as Keycloak's secretData and credentialData are.
func unquoteDoc(raw json.RawMessage, v any) error {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		raw = json.RawMessage(s)
	}
	return json.Unmarshal(raw, v)
}

// KeycloakPHC converts a Keycloak password credential to the hash string
// Parse reads: a PHC PBKDF2 string for the algorithms pbkdf2 (SHA-1),
// pbkdf2-sha256 and pbkdf2-sha512, and a PHC argon2 string for argon2
// (Keycloak 24 and later). The derived key's length is the stored
// value's, so Keycloak's 512-bit keys are checked in full.
func KeycloakPHC(c KeycloakCredential) (string, error) {
	f := FormatKeycloak
	if c.Type != "" && c.Type != "password" {
		return "", unsupported(f, "credential type %q is not a password", truncate(c.Type))
	}
	var sec keycloakSecret
	var data keycloakData
	if len(c.SecretData) > 0 {
		if err := unquoteDoc(c.SecretData, &sec); err != nil {
			return "", malformed(f, "secretData is not a JSON object")
		}
		if err := unquoteDoc(c.CredentialData, &data); err != nil {
			return "", malformed(f, "credentialData is not a JSON object")
		}
	} else {
		sec = keycloakSecret{Value: c.HashedSaltedValue, Salt: c.Salt}
		data = keycloakData{HashIterations: c.HashIterations, Algorithm: c.Algorithm}
	}
	salt, ok1 := decodeB64(sec.Salt)
	key, ok2 := decodeB64(sec.Value)
	if !ok1 || !ok2 || len(key) == 0 {
		return "", malformed(f, "value or salt is not base64")
	}
	b64 := base64.RawStdEncoding.EncodeToString
	switch data.Algorithm {
	case "pbkdf2", "pbkdf2-sha256", "pbkdf2-sha512":
		digest := "sha1"
		if data.Algorithm != "pbkdf2" {
			digest = data.Algorithm[len("pbkdf2-"):]
		}
		return fmt.Sprintf("$pbkdf2-%s$i=%d,l=%d$%s$%s", digest, data.HashIterations, len(key), b64(salt), b64(key)), nil
	case "argon2":
		p := func(name, def string) string {
			if v := data.AdditionalParameters[name]; len(v) == 1 {
				return v[0]
			}
			return def
		}
		variant := map[string]string{"id": "argon2id", "i": "argon2i", "d": "argon2d"}[p("type", "id")]
		if variant == "" {
			return "", malformed(f, "unknown argon2 type")
		}
		if p("version", "1.3") != "1.3" {
			return "", unsupported(f, "only argon2 version 1.3 is supported")
		}
		mem, err1 := strconv.Atoi(p("memory", "7168"))
		par, err2 := strconv.Atoi(p("parallelism", "1"))
		hl, err3 := strconv.Atoi(p("hashLength", strconv.Itoa(len(key))))
		if err1 != nil || err2 != nil || err3 != nil || hl != len(key) {
			return "", malformed(f, "argon2 parameters are not numbers matching the value")
		}
		return fmt.Sprintf("$%s$v=19$m=%d,t=%d,p=%d$%s$%s", variant, mem, data.HashIterations, par, b64(salt), b64(key)), nil
	}
	return "", unsupported(f, "algorithm %q", truncate(data.Algorithm))
}

// Keycloak returns the Verifier for a Keycloak password credential (see
// KeycloakPHC); its Format is the PHC format it was converted to.
func Keycloak(c KeycloakCredential) (Verifier, error) {
	s, err := KeycloakPHC(c)
	if err != nil {
		return nil, err
	}
	return Parse(s)
}

// truncate keeps a name from an untrusted document short in messages.
func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
