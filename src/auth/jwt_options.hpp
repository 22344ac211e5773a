#pragma once
// How tokens are checked (--jwt-*). Authentication is on when any key source is given (A1 in
// caller.hpp); the accepted algorithm comes from the key, never from the token.
#include <cstddef>
#include <cstdint>
#include <string>

namespace orderd::auth {

struct JwtOptions {
  // Exactly one key source (serve refuses two). HS256: the secret file's bytes (a trailing
  // newline dropped) are the secret.
  std::string hs256_secret_file;
  std::string public_key_file;  // a PEM public key: RSA -> RS256, EC P-256 -> ES256
  std::string jwks_file;        // a JWK Set (RFC 7517): RSA and EC P-256 keys, chosen by `kid`
  std::int64_t leeway_s = 60;   // clock skew allowed on exp and nbf
  std::string issuer;           // when set, `iss` must equal it
  std::string audience;         // when set, `aud` (a string or an array) must contain it
  std::size_t max_token_bytes = 8192;  // longer tokens are refused before any other work

  bool enabled() const {
    return !hs256_secret_file.empty() || !public_key_file.empty() || !jwks_file.empty();
  }
};

}  // namespace orderd::auth
