#pragma once
// The JWS algorithms orderd accepts (RFC 7518 §3): each key allows exactly one, and the token's
// `alg` header must name it (never the other way round).
#include <optional>
#include <string_view>

namespace orderd::auth {

enum class JwtAlgorithm { kHS256, kRS256, kES256 };

inline std::string_view to_string(JwtAlgorithm alg) {
  switch (alg) {
    case JwtAlgorithm::kHS256:
      return "HS256";
    case JwtAlgorithm::kRS256:
      return "RS256";
    case JwtAlgorithm::kES256:
      return "ES256";
  }
  return "?";
}

inline std::optional<JwtAlgorithm> parse_jwt_algorithm(std::string_view name) {
  if (name == "HS256") return JwtAlgorithm::kHS256;
  if (name == "RS256") return JwtAlgorithm::kRS256;
  if (name == "ES256") return JwtAlgorithm::kES256;
  return std::nullopt;
}

}  // namespace orderd::auth
