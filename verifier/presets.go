package verifier

import "strings"

// Presets for the systems teams migrate from. Each returns a JWTConfig with
// the provider's issuer, key location, audience rule and login ID claim;
// adjust the returned value (Leeway, MaxAge, LoginID, …) before NewJWT.
// Every preset whose login ID is an email requires the provider's
// email_verified claim to be true (LoginID.UnsafeAllowUnverified turns
// that off).

// Auth0 verifies tokens of an Auth0 tenant (domain such as
// "example.eu.auth0.com" or a custom domain) meant for audience (an API
// identifier for access tokens, the client ID for ID tokens). Auth0 access
// tokens carry no email unless an Action adds one, under a namespaced
// claim: pass that claim (e.g. "https://example.com/email") as emailClaim,
// or "" for the ID token's "email". The verified flag is read from the
// claim of the same name plus "_verified" ("https://example.com/email_verified",
// or "email_verified"), which the Action must add too.
func Auth0(domain, audience, emailClaim string) JWTConfig {
	issuer := "https://" + strings.TrimSuffix(domain, "/") + "/"
	claim := orDefault(emailClaim, "email")
	return JWTConfig{
		Issuer:   issuer,
		JWKSURL:  issuer + ".well-known/jwks.json",
		Audience: []string{audience},
		LoginID:  LoginID{Key: "email", Claim: claim, VerifiedClaim: claim + "_verified"},
	}
}

// Firebase verifies Firebase Authentication ID tokens of a project:
// issuer https://securetoken.google.com/<project>, audience the project ID,
// keys from Google's securetoken JWKS. The login ID is the verified email.
func Firebase(projectID string) JWTConfig {
	return JWTConfig{
		Issuer:   "https://securetoken.google.com/" + projectID,
		JWKSURL:  "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
		Audience: []string{projectID},
		LoginID:  LoginID{Key: "email", Claim: "email", RequireEmailVerified: true},
	}
}

// CognitoAccess verifies AWS Cognito access tokens of a user pool. They
// have no aud: the app client is in client_id, token_use is "access", and
// the user is named by "username" (not an email), so the login ID key is
// "username" unless the pool's usernames are emails.
func CognitoAccess(region, userPoolID, clientID string) JWTConfig {
	issuer := cognitoIssuer(region, userPoolID)
	return JWTConfig{
		Issuer:         issuer,
		JWKSURL:        issuer + "/.well-known/jwks.json",
		Audience:       []string{clientID},
		AudienceClaim:  "client_id",
		RequiredClaims: map[string]any{"token_use": "access"},
		LoginID:        LoginID{Key: "username", Claim: "username"},
	}
}

// CognitoID verifies AWS Cognito ID tokens (aud is the app client,
// token_use "id"); the login ID is the verified email (Cognito sends
// email_verified as a boolean or the string "true").
func CognitoID(region, userPoolID, clientID string) JWTConfig {
	issuer := cognitoIssuer(region, userPoolID)
	return JWTConfig{
		Issuer:         issuer,
		JWKSURL:        issuer + "/.well-known/jwks.json",
		Audience:       []string{clientID},
		RequiredClaims: map[string]any{"token_use": "id"},
		LoginID:        LoginID{Key: "email", Claim: "email", RequireEmailVerified: true},
	}
}

func cognitoIssuer(region, userPoolID string) string {
	return "https://cognito-idp." + region + ".amazonaws.com/" + userPoolID
}

// Okta verifies access tokens of an Okta authorization server (issuer such
// as "https://example.okta.com/oauth2/default") for audience (e.g.
// "api://default"). Okta puts the user's login, usually an email, in sub;
// access tokens carry email_verified only when a custom claim of that name
// is added on the authorization server (ID tokens carry it with the email
// scope); the preset requires it to be true, and sub to equal the email
// claim when the token has one (the flag is about the email, not the
// login).
func Okta(issuer, audience string) JWTConfig {
	issuer = strings.TrimSuffix(issuer, "/")
	return JWTConfig{
		Issuer:   issuer,
		JWKSURL:  issuer + "/v1/keys",
		Audience: []string{audience},
		LoginID:  LoginID{Key: "email", Claim: "sub"},
	}
}

// Keycloak verifies tokens of a Keycloak realm (baseURL such as
// "https://sso.example.com", without /realms) for audience (a client ID, or
// "account" for Keycloak's default access tokens). The login ID is the
// email claim.
func Keycloak(baseURL, realm, audience string) JWTConfig {
	issuer := strings.TrimSuffix(baseURL, "/") + "/realms/" + realm
	return JWTConfig{
		Issuer:   issuer,
		JWKSURL:  issuer + "/protocol/openid-connect/certs",
		Audience: []string{audience},
		LoginID:  LoginID{Key: "email", Claim: "email"},
	}
}

// HS256 verifies a home-grown system's HMAC-signed JWTs. Give the issuer
// and audience it puts in its tokens; the login ID is the email claim, and
// the token must say email_verified: true.
func HS256(secret []byte, issuer, audience string) JWTConfig {
	return JWTConfig{
		HMACSecret: secret,
		Algorithms: []string{"HS256"},
		Issuer:     issuer,
		Audience:   []string{audience},
		LoginID:    LoginID{Key: "email", Claim: "email"},
	}
}
