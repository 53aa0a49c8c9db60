// Package verifier decides whether a token is genuine: Authgear access
// tokens (JWTs checked against the project's JWKS, or opaque tokens checked
// at its userinfo endpoint) and legacy tokens (JWTs from a JWKS URL, static
// keys or an HMAC secret; opaque tokens through RFC 7662 introspection; or
// a function of the app's own).
//
// It sits in front of every request, so the safe choice is the default:
// the algorithm comes from an allow-list bound to the key, never from the
// token alone, so "none" and HMAC-with-a-public-key are refused; issuer and
// audience are required unless skipped through options named Unsafe;
// tokens over a size cap, with unknown "crit" headers or malformed parts
// are refused before any key is looked up; registered claim names match
// exactly ("AUD" is not "aud"). Every refusal is a sentinel error usable
// with errors.Is (ErrExpired, ErrAlgorithm, …) and never contains the
// token.
//
// A legacy token leads to an Authgear account, so what it vouches for is
// held to more than a valid signature: an email login ID needs the
// provider's email_verified (LoginID.UnsafeAllowUnverified to skip), and a
// login ID that Authgear's normalisation would fold onto another value
// (NFKC, Unicode case folding, trimming, internationalised domains) or
// that holds control or format characters is refused with ErrLoginID
// (LoginID.UnsafeAllowUnicodeFolding for a legacy system that folds the
// same way). Endpoints given as http:// are refused unless loopback
// (InsecureAllowHTTP); malformed keys in a JWK set are refused when the
// set is loaded, never found by a panic.
//
// Compact JWS (RFC 7515) is parsed and checked here with crypto/* directly,
// so a first-seen RS256 token costs little more than the RSA verification
// itself; jwx (github.com/lestrrat-go/jwx/v2) fetches, caches and parses
// the key sets. Verified tokens are cached by a hash of the token, so a
// repeated token costs a hash and a map lookup; a cached verification lasts
// no longer than the checks it passed (exp, iat + MaxAge) and the key that
// made it (a key withdrawn from the JWKS takes its tokens with it).
package verifier
