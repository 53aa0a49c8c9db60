package authgeartest_test

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// authorization turns the recording's description of an Authorization
// header into a real one for the fake.
func (rp *replayer) authorization(num, desc string) string {
	now := time.Now().Unix()
	claims := map[string]any{"aud": []string{"myapp"}, "iat": now, "exp": now + 300}
	hdr := map[string]any{"alg": "RS256", "kid": rp.kid, "typ": "JWT"}
	key := rp.adminPK
	prefix := "Bearer "
	switch num {
	case "02":
		prefix = "bearer "
	case "03":
		claims["aud"] = []string{"otherapp"}
	case "04":
		claims["iat"], claims["exp"] = now-3600, now-1800
	case "05":
		hdr["kid"] = "00000000-0000-4000-8000-000000000000"
	case "06":
		hdr["alg"] = "HS256"
	case "08":
		claims["aud"] = "myapp"
	case "09":
		claims["aud"] = []string{"otherapp", "myapp"}
	case "10":
		delete(claims, "iat")
		delete(claims, "exp")
	case "11":
		claims["iat"], claims["exp"] = now-600, now-120
	case "12":
		claims["iat"], claims["exp"] = now+3600, now+7200
	case "13":
		key = otherKey(rp.t)
	case "14":
		delete(hdr, "kid")
	case "15":
		hdr["alg"] = "none"
	case "16":
		hdr["alg"] = "RS512"
	case "17":
		prefix = "Bearer  "
	}
	if strings.Contains(desc, "access token JWT from case") {
		n := regexp.MustCompile(`from case (\d+)`).FindStringSubmatch(desc)[1]
		return "Bearer " + rp.token(n, "accessToken")
	}
	return prefix + signJWT(rp.t, hdr, claims, key)
}

func signJWT(t *testing.T, hdr, claims map[string]any, key *rsa.PrivateKey) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(hdr) + "." + enc(claims)
	var sig []byte
	var err error
	switch hdr["alg"] {
	case "none":
	case "HS256":
		m := hmac.New(sha256.New, []byte("an arbitrary secret"))
		m.Write([]byte(input))
		sig = m.Sum(nil)
	case "RS512":
		h := sha512.Sum512([]byte(input))
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA512, h[:])
	default:
		h := sha256.Sum256([]byte(input))
		sig, err = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}
