// Fuzz target: bytes -> auth::JwtVerifier, the first thing a request's Authorization header
// reaches once authentication is on (ingress/authentication.hpp). The first byte picks what the
// rest is:
//   0: a token, against an HS256 secret;
//   1: a token, against an ES256 key (RFC 7515 A.3's public key, whose example token is a seed);
//   2: a payload, signed here with the HS256 secret: the claims' parsing past a valid signature;
//   3: a header, signed here over valid claims: the header's parsing past a valid signature.
// Nothing may crash or leak, and no token is accepted that its key did not sign: in mode 0 an
// accepted token must be exactly what the secret signs over its decoded parts, and in mode 1
// (no private key here) none can be accepted at all.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/base64url.hpp"
#include "auth/jwt_signer.hpp"
#include "auth/jwt_verifier.hpp"

namespace {

using namespace orderd::auth;

constexpr std::int64_t kNow = 1300819380 - 3600;  // before the RFC example's exp
const std::string kSecret = "fuzz-secret-of-at-least-thirty-two-bytes";

const JwtVerifier& hs256() {
  static const JwtVerifier verifier(JwtKeySet::single(JwtKey::hs256(kSecret)), {});
  return verifier;
}

const JwtVerifier& es256() {
  static const JwtVerifier verifier(
      JwtKeySet::from_jwks(
          R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})"),
      {});
  return verifier;
}

// Claims that are valid, the verdict's own facts: what an accepted token must satisfy.
void check_accepted(const JwtVerdict& verdict) {
  if (!verdict.ok()) return;
  if (verdict.claims->subject.empty()) std::abort();
  if (verdict.claims->expires_at + 60 <= kNow) std::abort();
  if (verdict.claims->not_before && *verdict.claims->not_before - 60 > kNow) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      JwtVerdict verdict = hs256().verify(rest, kNow);
      check_accepted(verdict);
      if (verdict.ok()) {
        // Strict base64url has one encoding per text, so re-signing the decoded parts must give
        // the very same token back.
        const auto first = rest.find('.');
        const auto second = rest.find('.', first + 1);
        auto header = base64url_decode(std::string_view(rest).substr(0, first));
        auto payload =
            base64url_decode(std::string_view(rest).substr(first + 1, second - first - 1));
        if (!header || !payload ||
            sign_jwt(*header, *payload, JwtAlgorithm::kHS256, kSecret) != rest)
          std::abort();
      }
      break;
    }
    case 1:
      if (es256().verify(rest, kNow).ok()) std::abort();  // nobody here holds the private key
      break;
    case 2:
      check_accepted(hs256().verify(
          sign_jwt(R"({"alg":"HS256","typ":"JWT"})", rest, JwtAlgorithm::kHS256, kSecret), kNow));
      break;
    case 3:
      check_accepted(
          hs256().verify(sign_jwt(rest, R"({"sub":"1","exp":1300819380,"roles":["admin"]})",
                                  JwtAlgorithm::kHS256, kSecret),
                         kNow));
      break;
  }
  return 0;
}
