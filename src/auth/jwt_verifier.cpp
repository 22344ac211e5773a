#include "auth/jwt_verifier.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <limits>

#include "auth/base64url.hpp"

namespace orderd::auth {
namespace {

JwtVerdict refuse(JwtFailure failure) {
  return JwtVerdict{std::nullopt, failure};
}

// A base64url part that decodes to a JSON object; nullopt otherwise.
std::optional<boost::json::object> json_object(std::string_view part) {
  auto text = base64url_decode(part);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(*text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// A NumericDate (RFC 7519 §2) as whole seconds, rounded up: for a whole `now`, exp > now and
// nbf <= now hold for the rounded value exactly when they hold for the true one. Clamped far
// from the int64 limits, so that adding the leeway cannot overflow. nullopt: not a number.
std::optional<std::int64_t> numeric_date(const boost::json::value& value) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 52;
  if (value.is_int64()) return std::clamp<std::int64_t>(value.get_int64(), -kLimit, kLimit);
  if (value.is_uint64())
    return value.get_uint64() > static_cast<std::uint64_t>(kLimit)
               ? kLimit
               : static_cast<std::int64_t>(value.get_uint64());
  if (value.is_double()) {
    const double d = value.get_double();
    if (std::isnan(d)) return std::nullopt;
    if (d >= static_cast<double>(kLimit)) return kLimit;
    if (d <= -static_cast<double>(kLimit)) return -kLimit;
    return static_cast<std::int64_t>(std::ceil(d));
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(JwtFailure failure) {
  switch (failure) {
    case JwtFailure::kTokenMissing:
      return "token_missing";
    case JwtFailure::kMalformed:
      return "token_malformed";
    case JwtFailure::kAlgorithmNotAllowed:
      return "token_algorithm_not_allowed";
    case JwtFailure::kKeyUnknown:
      return "token_key_unknown";
    case JwtFailure::kSignatureInvalid:
      return "token_signature_invalid";
    case JwtFailure::kExpired:
      return "token_expired";
    case JwtFailure::kNotYetValid:
      return "token_not_yet_valid";
    case JwtFailure::kExpiryMissing:
      return "token_expiry_missing";
    case JwtFailure::kIssuerInvalid:
      return "token_issuer_invalid";
    case JwtFailure::kAudienceInvalid:
      return "token_audience_invalid";
    case JwtFailure::kSubjectMissing:
      return "token_subject_missing";
  }
  return "token_malformed";
}

std::string_view describe(JwtFailure failure) {
  switch (failure) {
    case JwtFailure::kTokenMissing:
      return "this route needs an Authorization: Bearer token";
    case JwtFailure::kMalformed:
      return "the bearer token is not a well-formed JWT";
    case JwtFailure::kAlgorithmNotAllowed:
      return "the token's alg is not the one its key allows";
    case JwtFailure::kKeyUnknown:
      return "no configured key matches the token's kid";
    case JwtFailure::kSignatureInvalid:
      return "the token's signature does not verify";
    case JwtFailure::kExpired:
      return "the token has expired";
    case JwtFailure::kNotYetValid:
      return "the token is not valid yet (nbf)";
    case JwtFailure::kExpiryMissing:
      return "the token has no exp claim";
    case JwtFailure::kIssuerInvalid:
      return "the token's iss is not the expected issuer";
    case JwtFailure::kAudienceInvalid:
      return "the token's aud does not name this service";
    case JwtFailure::kSubjectMissing:
      return "the token has no sub claim";
  }
  return "the bearer token is not a well-formed JWT";
}

JwtVerifier::JwtVerifier(JwtKeySet keys, JwtChecks checks)
    : keys_(std::move(keys)), checks_(std::move(checks)) {}

JwtVerifier JwtVerifier::load(const JwtOptions& options) {
  return JwtVerifier(
      JwtKeySet::load(options),
      JwtChecks{options.leeway_s, options.issuer, options.audience, options.max_token_bytes});
}

JwtVerdict JwtVerifier::verify(std::string_view token, std::int64_t now_s) const {
  // ---- The token's form, before any key is touched ----
  if (token.empty() || token.size() > checks_.max_token_bytes)
    return refuse(JwtFailure::kMalformed);
  const auto first_dot = token.find('.');
  const auto second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos)
    return refuse(JwtFailure::kMalformed);
  const std::string_view header_part = token.substr(0, first_dot);
  const std::string_view payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signing_input = token.substr(0, second_dot);
  auto signature = base64url_decode(token.substr(second_dot + 1));
  if (!signature || payload_part.empty() || !base64url_decode(payload_part))
    return refuse(JwtFailure::kMalformed);
  auto header = json_object(header_part);
  if (!header) return refuse(JwtFailure::kMalformed);
  const boost::json::value* alg = header->if_contains("alg");
  if (!alg || !alg->is_string()) return refuse(JwtFailure::kMalformed);
  if (const boost::json::value* typ = header->if_contains("typ")) {
    if (!typ->is_string() || !(equals_ignoring_case(typ->get_string(), "JWT") ||
                               equals_ignoring_case(typ->get_string(), "application/jwt")))
      return refuse(JwtFailure::kMalformed);
  }
  // An extension the token says must be understood, and none is: refused (RFC 7515 §4.1.11).
  if (header->contains("crit")) return refuse(JwtFailure::kMalformed);

  // ---- The key, then the signature (K1: the key's algorithm, never the token's) ----
  const auto algorithm = parse_jwt_algorithm(alg->get_string());
  if (!algorithm) return refuse(JwtFailure::kAlgorithmNotAllowed);  // "none" among them
  std::optional<std::string> kid;
  if (const boost::json::value* k = header->if_contains("kid")) {
    if (!k->is_string()) return refuse(JwtFailure::kMalformed);
    kid = std::string(k->get_string());
  }
  const JwtKey* key = keys_.find(kid);
  if (!key) return refuse(JwtFailure::kKeyUnknown);
  if (*algorithm != key->algorithm()) return refuse(JwtFailure::kAlgorithmNotAllowed);
  if (!key->verifies(signing_input, *signature)) return refuse(JwtFailure::kSignatureInvalid);

  // ---- The claims, now that they are the signer's ----
  auto payload = json_object(payload_part);
  if (!payload) return refuse(JwtFailure::kMalformed);
  Claims claims;
  if (const boost::json::value* iss = payload->if_contains("iss")) {
    if (!iss->is_string()) return refuse(JwtFailure::kMalformed);
    claims.issuer = std::string(iss->get_string());
  }
  if (const boost::json::value* aud = payload->if_contains("aud")) {
    if (aud->is_string()) {
      claims.audience.emplace_back(aud->get_string());
    } else if (aud->is_array()) {
      for (const auto& item : aud->get_array()) {
        if (!item.is_string()) return refuse(JwtFailure::kMalformed);
        claims.audience.emplace_back(item.get_string());
      }
    } else {
      return refuse(JwtFailure::kMalformed);
    }
  }
  if (const boost::json::value* nbf = payload->if_contains("nbf")) {
    claims.not_before = numeric_date(*nbf);
    if (!claims.not_before) return refuse(JwtFailure::kMalformed);
  }
  if (const boost::json::value* roles = payload->if_contains("roles")) {
    if (!roles->is_array()) return refuse(JwtFailure::kMalformed);
    for (const auto& item : roles->get_array()) {
      if (!item.is_string()) return refuse(JwtFailure::kMalformed);
      // An identity provider's own role names are not errors (caller.hpp): ignored.
      if (auto role = parse_role(item.get_string())) claims.roles = claims.roles | *role;
    }
  }
  const boost::json::value* exp = payload->if_contains("exp");
  if (!exp) return refuse(JwtFailure::kExpiryMissing);
  const auto expires_at = numeric_date(*exp);
  if (!expires_at) return refuse(JwtFailure::kMalformed);
  claims.expires_at = *expires_at;
  if (!(claims.expires_at + checks_.leeway_s > now_s)) return refuse(JwtFailure::kExpired);
  if (claims.not_before && *claims.not_before - checks_.leeway_s > now_s)
    return refuse(JwtFailure::kNotYetValid);
  if (!checks_.issuer.empty() && claims.issuer != checks_.issuer)
    return refuse(JwtFailure::kIssuerInvalid);
  if (!checks_.audience.empty() && std::find(claims.audience.begin(), claims.audience.end(),
                                             checks_.audience) == claims.audience.end())
    return refuse(JwtFailure::kAudienceInvalid);
  const boost::json::value* sub = payload->if_contains("sub");
  if (!sub || !sub->is_string() || sub->get_string().empty())
    return refuse(JwtFailure::kSubjectMissing);
  claims.subject = std::string(sub->get_string());
  return JwtVerdict{std::move(claims), JwtFailure::kMalformed};
}

}  // namespace orderd::auth
