#pragma once
// Signs JWTs: orderctl's development tokens (HS256), and the tests' tokens of every kind,
// forged ones included. The server never signs; it verifies (jwt_verifier.hpp).
#include <boost/json/object.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "auth/jwt_algorithm.hpp"

namespace orderd::auth {

// The compact JWS of `header_json` and `payload_json` exactly as given (so tests can forge
// headers), signed with `alg`: `key` is the secret's bytes for HS256, a PEM private key
// (RSA for RS256, EC P-256 for ES256) otherwise. ES256 signatures are r||s, 64 bytes (RFC 7518
// §3.4). Throws std::runtime_error for a key that does not fit.
std::string sign_jwt(std::string_view header_json, std::string_view payload_json, JwtAlgorithm alg,
                     std::string_view key);

// {"alg":"HS256","typ":"JWT"} over `claims`.
std::string mint_hs256(const boost::json::object& claims, std::string_view secret);

}  // namespace orderd::auth
