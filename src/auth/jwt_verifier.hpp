#pragma once
// Verifies a bearer token (a compact JWS, RFC 7515, carrying JWT claims, RFC 7519) against the
// keys given at startup (jwt_keys.hpp), and says why not with a stable code. OpenSSL EVP directly,
// no JWT library: jwt_keys.hpp says why.
//
// What a token must be, checked in this order, each refusal with its code (JwtFailure):
//   - at most max_token_bytes (8 KiB, --jwt-max-token-bytes), before any other work;
//   token_malformed
//   - three base64url parts (strict: no padding, no stray bits, auth/base64url.hpp), a header
//     that is a JSON object with a string `alg`, `typ` absent or "JWT" (any case; also
//     "application/jwt"), no `crit` (no extension is understood, RFC 7515 §4.1.11);
//                                                                                token_malformed
//   - `alg` one of HS256, RS256, ES256 (never "none");               token_algorithm_not_allowed
//   - a key: the one whose `kid` the header names; with no kid, the only key    token_key_unknown
//   - `alg` equal to that key's algorithm (K1 in jwt_keys.hpp): the key decides how the signature
//     is checked, the token only has to agree (HS256 over the RSA PEM is refused here);
//                                                                    token_algorithm_not_allowed
//   - the signature, over the first two parts as sent;                 token_signature_invalid
//   - a payload that is a JSON object; `iss` a string, `aud` a string or an array of strings,
//     `nbf` a number, `roles` an array of strings, when present;                token_malformed
//   - `exp` present and a number;                                           token_expiry_missing
//     (`exp` that is not a number:                                              token_malformed)
//   - now < exp + leeway;                                                          token_expired
//   - nbf - leeway <= now, when nbf is present;                              token_not_yet_valid
//   - iss == issuer, when an issuer is configured;                          token_issuer_invalid
//   - aud names the audience, when one is configured;                     token_audience_invalid
//   - `sub` a non-empty string.                                            token_subject_missing
// Times are NumericDate seconds; a fraction counts (exp 10.5 is still valid at 10).
// token_missing is the ingress's (no Authorization: Bearer header): a verifier never sees it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/caller.hpp"
#include "auth/jwt_keys.hpp"
#include "auth/jwt_options.hpp"

namespace orderd::auth {

enum class JwtFailure {
  kTokenMissing,
  kMalformed,
  kAlgorithmNotAllowed,
  kKeyUnknown,
  kSignatureInvalid,
  kExpired,
  kNotYetValid,
  kExpiryMissing,
  kIssuerInvalid,
  kAudienceInvalid,
  kSubjectMissing,
};

// The stable code ("token_expired"): the 401's problem `code`, part of the API.
std::string_view to_string(JwtFailure failure);
// A sentence for people (the problem's detail, WWW-Authenticate's error_description). Never
// quotes the token, and holds neither '"' nor '\' (RFC 6750 §3).
std::string_view describe(JwtFailure failure);

// What a verified token says.
struct Claims {
  std::string subject;                     // `sub`
  RoleSet roles;                           // the known names of `roles`; others are ignored
  std::int64_t expires_at = 0;             // `exp`, seconds, rounded up
  std::optional<std::int64_t> not_before;  // `nbf`, seconds, rounded up
  std::string issuer;                      // `iss`; empty when absent
  std::vector<std::string> audience;       // `aud`, one or many
};

struct JwtVerdict {
  std::optional<Claims> claims;                 // set when the token is valid
  JwtFailure failure = JwtFailure::kMalformed;  // why not, when claims is empty
  bool ok() const { return claims.has_value(); }
};

struct JwtChecks {
  std::int64_t leeway_s = 60;  // clock skew allowed on exp and nbf
  std::string issuer;          // empty: `iss` not checked
  std::string audience;        // empty: `aud` not checked
  std::size_t max_token_bytes = 8192;
};

class JwtVerifier {
 public:
  JwtVerifier(JwtKeySet keys, JwtChecks checks);
  // The keys of the options' key source, and their checks; throws JwtKeyError (K2).
  static JwtVerifier load(const JwtOptions& options);

  // `token` is the compact JWS alone (no "Bearer "); `now_s` seconds since the epoch. Thread-safe
  // and without side effects: both listeners share one verifier.
  JwtVerdict verify(std::string_view token, std::int64_t now_s) const;

 private:
  JwtKeySet keys_;
  JwtChecks checks_;
};

}  // namespace orderd::auth
