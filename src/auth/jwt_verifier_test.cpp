// The verifier's every refusal, each its own case and for each key type it applies to; the RFC
// 7515 examples (A.2 RS256, A.3 ES256) with their published keys; the algorithm-confusion and
// alg-none forgeries; the key set's startup refusals; and base64url and Caller::user_id, which
// the verifier and the shop's routes lean on.
#include "auth/jwt_verifier.hpp"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>

#include <fstream>
#include <functional>
#include <string>

#include "auth/base64url.hpp"
#include "auth/caller.hpp"
#include "auth/jwt_keys.hpp"
#include "auth/jwt_signer.hpp"
#include "support/temp_dir.hpp"
#include "support/test_keys.hpp"

namespace orderd::auth {
namespace {

using testing::TestKey;

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "a-test-secret-of-more-than-32-bytes!";
const std::string kHs256Header = R"({"alg":"HS256","typ":"JWT"})";
const std::string kRs256Header = R"({"alg":"RS256","typ":"JWT"})";
const std::string kEs256Header = R"({"alg":"ES256","typ":"JWT"})";

// A valid payload at kNow, with `extra` members spliced in after the standard ones (a later
// duplicate of a member wins in Boost.JSON's parse, so `extra` may also override).
std::string payload(const std::string& extra = "") {
  std::string p = R"({"sub":"100","roles":["customer"],"exp":)" + std::to_string(kNow + 600);
  if (!extra.empty()) p += "," + extra;
  return p + "}";
}

// The keys, made once: RSA generation takes a while.
const TestKey& rsa() {
  static const TestKey key = testing::rsa_test_key();
  return key;
}
const TestKey& ec() {
  static const TestKey key = testing::ec_test_key();
  return key;
}

JwtVerifier hs256_verifier(JwtChecks checks = {}) {
  return JwtVerifier(JwtKeySet::single(JwtKey::hs256(kSecret)), std::move(checks));
}
JwtVerifier rsa_verifier(JwtChecks checks = {}) {
  return JwtVerifier(JwtKeySet::single(JwtKey::from_public_pem(rsa().public_pem)),
                     std::move(checks));
}
JwtVerifier ec_verifier(JwtChecks checks = {}) {
  return JwtVerifier(JwtKeySet::single(JwtKey::from_public_pem(ec().public_pem)),
                     std::move(checks));
}

std::string hs256(const std::string& body, const std::string& header = kHs256Header) {
  return sign_jwt(header, body, JwtAlgorithm::kHS256, kSecret);
}
std::string rs256(const std::string& body, const std::string& header = kRs256Header) {
  return sign_jwt(header, body, JwtAlgorithm::kRS256, rsa().private_pem);
}
std::string es256(const std::string& body, const std::string& header = kEs256Header) {
  return sign_jwt(header, body, JwtAlgorithm::kES256, ec().private_pem);
}

// The header and payload of a token, re-encoded, with the original signature kept.
std::string with_parts(const std::string& token, const std::string& header,
                       const std::string& body) {
  return base64url_encode(header) + "." + base64url_encode(body) + token.substr(token.rfind('.'));
}

// A token with one character of part `part` (0, 1, 2) changed at `index` to another character
// of the alphabet that keeps the encoding canonical (the low bits of a last character matter).
std::string flip(std::string token, int part, std::size_t index) {
  std::size_t start = 0;
  for (int i = 0; i < part; ++i) start = token.find('.', start) + 1;
  char& c = token[start + index];
  c = c == 'A' ? 'B' : 'A';
  return token;
}

JwtFailure failure(const JwtVerdict& verdict) {
  EXPECT_FALSE(verdict.ok());
  return verdict.failure;
}

// ---- Valid tokens ----

TEST(JwtVerifier, AValidHs256TokenGivesItsSubjectRolesAndTimes) {
  auto verdict = hs256_verifier().verify(
      hs256(R"({"sub":"100","roles":["customer","admin","superuser"],"exp":)" +
            std::to_string(kNow + 600) + R"(,"nbf":)" + std::to_string(kNow - 5) +
            R"(,"iss":"shop","aud":["a","b"]})"),
      kNow);
  ASSERT_TRUE(verdict.ok()) << to_string(verdict.failure);
  EXPECT_EQ(verdict.claims->subject, "100");
  EXPECT_EQ(verdict.claims->roles, Role::kCustomer | Role::kAdmin);  // "superuser" ignored
  EXPECT_EQ(verdict.claims->expires_at, kNow + 600);
  EXPECT_EQ(verdict.claims->not_before, kNow - 5);
  EXPECT_EQ(verdict.claims->issuer, "shop");
  EXPECT_EQ(verdict.claims->audience, (std::vector<std::string>{"a", "b"}));
}

TEST(JwtVerifier, ValidRs256AndEs256TokensVerifyWithTheirPublicKeys) {
  EXPECT_TRUE(rsa_verifier().verify(rs256(payload()), kNow).ok());
  EXPECT_TRUE(ec_verifier().verify(es256(payload()), kNow).ok());
}

TEST(JwtVerifier, TypMayBeAbsentOrJwtInAnyCase) {
  for (const char* header : {R"({"alg":"HS256"})", R"({"alg":"HS256","typ":"jwt"})",
                             R"({"alg":"HS256","typ":"application/JWT"})"})
    EXPECT_TRUE(hs256_verifier().verify(hs256(payload(), header), kNow).ok()) << header;
}

TEST(JwtVerifier, ATokenWithoutRolesHasNone) {
  auto verdict =
      hs256_verifier().verify(hs256(R"({"sub":"x","exp":)" + std::to_string(kNow + 1) + "}"), kNow);
  ASSERT_TRUE(verdict.ok());
  EXPECT_TRUE(verdict.claims->roles.empty());
}

// ---- token_malformed ----

TEST(JwtVerifier, NotThreeBase64urlPartsIsMalformed) {
  const std::string good = hs256(payload());
  for (const std::string& token :
       {std::string(), std::string("abc"), std::string("a.b"), good + ".x", "." + good,
        good + "=",                                            // padding
        "eyJ+bGciOiJIUzI1NiJ9" + good.substr(good.find('.')),  // '+' is not base64url
        good.substr(0, good.find('.')) + ".." + good.substr(good.rfind('.') + 1),  // no payload
        std::string(" ") + good})
    EXPECT_EQ(failure(hs256_verifier().verify(token, kNow)), JwtFailure::kMalformed) << token;
}

TEST(JwtVerifier, AHeaderThatIsNotAJsonObjectWithAStringAlgIsMalformed) {
  for (const char* header : {"not json", "[1,2]", "{}", R"({"alg":256})", R"({"alg":null})"}) {
    const std::string token = hs256(payload(), header);
    EXPECT_EQ(failure(hs256_verifier().verify(token, kNow)), JwtFailure::kMalformed) << header;
  }
}

TEST(JwtVerifier, ATypOtherThanJwtIsMalformed) {
  for (const char* header : {R"({"alg":"HS256","typ":"JWS"})", R"({"alg":"HS256","typ":1})"})
    EXPECT_EQ(failure(hs256_verifier().verify(hs256(payload(), header), kNow)),
              JwtFailure::kMalformed)
        << header;
}

TEST(JwtVerifier, ACritHeaderIsRefusedEvenWhenSigned) {
  const std::string header = R"({"alg":"HS256","crit":["exp"],"exp":1})";
  EXPECT_EQ(failure(hs256_verifier().verify(hs256(payload(), header), kNow)),
            JwtFailure::kMalformed);
  EXPECT_EQ(failure(rsa_verifier().verify(
                rs256(payload(), R"({"alg":"RS256","crit":["b64"],"b64":false})"), kNow)),
            JwtFailure::kMalformed);
}

TEST(JwtVerifier, ASignedPayloadThatIsNotAJsonObjectIsMalformed) {
  for (const char* body : {"not json", "[]", "\"sub\"", "42"})
    EXPECT_EQ(failure(hs256_verifier().verify(hs256(body), kNow)), JwtFailure::kMalformed) << body;
}

TEST(JwtVerifier, ClaimsOfTheWrongTypeAreMalformed) {
  for (const char* extra :
       {R"("exp":"tomorrow")", R"("nbf":true)", R"("iss":7)", R"("aud":{"a":1})",
        R"("aud":["a",1])", R"("roles":"admin")", R"("roles":["admin",7])"})
    EXPECT_EQ(failure(hs256_verifier().verify(hs256(payload(extra)), kNow)), JwtFailure::kMalformed)
        << extra;
}

TEST(JwtVerifier, ATokenOverTheLengthBoundIsRefusedBeforeItsSignatureIsChecked) {
  const std::string padding = R"("pad":")" + std::string(9000, 'x') + "\"";
  const std::string token = hs256(payload(padding));  // validly signed, but 12 KB
  EXPECT_EQ(failure(hs256_verifier().verify(token, kNow)), JwtFailure::kMalformed);
  JwtChecks roomy;
  roomy.max_token_bytes = 16384;
  EXPECT_TRUE(hs256_verifier(roomy).verify(token, kNow).ok());
}

// ---- token_algorithm_not_allowed ----

TEST(JwtVerifier, AlgNoneWithAnEmptySignatureIsRefusedForEveryKeyType) {
  const std::string token =
      base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + base64url_encode(payload()) + ".";
  EXPECT_EQ(failure(hs256_verifier().verify(token, kNow)), JwtFailure::kAlgorithmNotAllowed);
  EXPECT_EQ(failure(rsa_verifier().verify(token, kNow)), JwtFailure::kAlgorithmNotAllowed);
  EXPECT_EQ(failure(ec_verifier().verify(token, kNow)), JwtFailure::kAlgorithmNotAllowed);
  for (const char* none : {R"({"alg":"None"})", R"({"alg":"NONE"})"})
    EXPECT_EQ(failure(hs256_verifier().verify(
                  base64url_encode(none) + "." + base64url_encode(payload()) + ".", kNow)),
              JwtFailure::kAlgorithmNotAllowed);
}

// The classic confusion: the RSA public key is public, so a forger HMACs with its PEM as the
// secret and says HS256, hoping the server lets the token pick the algorithm.
TEST(JwtVerifier, Hs256SignedWithTheRsaPublicPemAsSecretIsRefused) {
  const std::string forged = sign_jwt(kHs256Header, payload(R"("roles":["admin"])"),
                                      JwtAlgorithm::kHS256, rsa().public_pem);
  EXPECT_EQ(failure(rsa_verifier().verify(forged, kNow)), JwtFailure::kAlgorithmNotAllowed);
  const std::string forged_ec =
      sign_jwt(kHs256Header, payload(), JwtAlgorithm::kHS256, ec().public_pem);
  EXPECT_EQ(failure(ec_verifier().verify(forged_ec, kNow)), JwtFailure::kAlgorithmNotAllowed);
}

TEST(JwtVerifier, AnAlgorithmOtherThanTheKeysIsRefused) {
  EXPECT_EQ(failure(hs256_verifier().verify(rs256(payload()), kNow)),
            JwtFailure::kAlgorithmNotAllowed);
  EXPECT_EQ(failure(rsa_verifier().verify(es256(payload()), kNow)),
            JwtFailure::kAlgorithmNotAllowed);
  EXPECT_EQ(failure(ec_verifier().verify(rs256(payload()), kNow)),
            JwtFailure::kAlgorithmNotAllowed);
  // Algorithms orderd never accepts, validly formed otherwise.
  for (const char* alg : {"HS512", "RS512", "PS256", "ES384", "EdDSA"})
    EXPECT_EQ(failure(hs256_verifier().verify(
                  with_parts(hs256(payload()), R"({"alg":")" + std::string(alg) + "\"}", payload()),
                  kNow)),
              JwtFailure::kAlgorithmNotAllowed)
        << alg;
}

// ---- token_signature_invalid ----

TEST(JwtVerifier, AWrongKeysSignatureIsInvalidForEveryKeyType) {
  EXPECT_EQ(failure(hs256_verifier().verify(sign_jwt(kHs256Header, payload(), JwtAlgorithm::kHS256,
                                                     "another-secret-of-more-than-32-bytes"),
                                            kNow)),
            JwtFailure::kSignatureInvalid);
  const TestKey other_rsa = testing::rsa_test_key();
  EXPECT_EQ(
      failure(rsa_verifier().verify(
          sign_jwt(kRs256Header, payload(), JwtAlgorithm::kRS256, other_rsa.private_pem), kNow)),
      JwtFailure::kSignatureInvalid);
  const TestKey other_ec = testing::ec_test_key();
  EXPECT_EQ(
      failure(ec_verifier().verify(
          sign_jwt(kEs256Header, payload(), JwtAlgorithm::kES256, other_ec.private_pem), kNow)),
      JwtFailure::kSignatureInvalid);
}

TEST(JwtVerifier, ATamperedPayloadOrHeaderFailsItsSignatureForEveryKeyType) {
  const std::string admin = payload(R"("roles":["admin"])");
  EXPECT_EQ(
      failure(hs256_verifier().verify(with_parts(hs256(payload()), kHs256Header, admin), kNow)),
      JwtFailure::kSignatureInvalid);
  EXPECT_EQ(failure(rsa_verifier().verify(with_parts(rs256(payload()), kRs256Header, admin), kNow)),
            JwtFailure::kSignatureInvalid);
  EXPECT_EQ(failure(ec_verifier().verify(with_parts(es256(payload()), kEs256Header, admin), kNow)),
            JwtFailure::kSignatureInvalid);
  // The header is signed too: adding a member to it breaks the signature.
  EXPECT_EQ(
      failure(hs256_verifier().verify(
          with_parts(hs256(payload()), R"({"alg":"HS256","typ":"JWT","x":1})", payload()), kNow)),
      JwtFailure::kSignatureInvalid);
}

TEST(JwtVerifier, AChangedSignatureByteOrAnEmptySignatureIsInvalid) {
  EXPECT_EQ(failure(hs256_verifier().verify(flip(hs256(payload()), 2, 5), kNow)),
            JwtFailure::kSignatureInvalid);
  EXPECT_EQ(failure(rsa_verifier().verify(flip(rs256(payload()), 2, 5), kNow)),
            JwtFailure::kSignatureInvalid);
  EXPECT_EQ(failure(ec_verifier().verify(flip(es256(payload()), 2, 5), kNow)),
            JwtFailure::kSignatureInvalid);
  const std::string hs = hs256(payload());
  EXPECT_EQ(failure(hs256_verifier().verify(hs.substr(0, hs.rfind('.') + 1), kNow)),
            JwtFailure::kSignatureInvalid);
}

// RFC 7518 §3.4: ES256's signature is r||s, 64 bytes. The same signature in DER (what OpenSSL
// produces, and what some libraries send by mistake) is refused: one signature, one encoding.
TEST(JwtVerifier, AnEs256SignatureInDerFormIsRefused) {
  const std::string token = es256(payload());
  const std::string raw = *base64url_decode(token.substr(token.rfind('.') + 1));
  ASSERT_EQ(raw.size(), 64u);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  const std::string der_signature(reinterpret_cast<const char*>(der), length);
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  const std::string input = token.substr(0, token.rfind('.'));
  EXPECT_TRUE(ec_verifier().verify(input + "." + base64url_encode(raw), kNow).ok());
  EXPECT_EQ(failure(ec_verifier().verify(input + "." + base64url_encode(der_signature), kNow)),
            JwtFailure::kSignatureInvalid);
  for (std::size_t size : {63u, 65u, 0u})
    EXPECT_EQ(failure(ec_verifier().verify(
                  input + "." + base64url_encode(std::string(raw + "\x01").substr(0, size)), kNow)),
              JwtFailure::kSignatureInvalid)
        << size;
}

// ---- Times ----

TEST(JwtVerifier, ATokenWithoutExpIsRefusedForEveryKeyType) {
  const std::string body = R"({"sub":"100","roles":["admin"]})";
  EXPECT_EQ(failure(hs256_verifier().verify(hs256(body), kNow)), JwtFailure::kExpiryMissing);
  EXPECT_EQ(failure(rsa_verifier().verify(rs256(body), kNow)), JwtFailure::kExpiryMissing);
  EXPECT_EQ(failure(ec_verifier().verify(es256(body), kNow)), JwtFailure::kExpiryMissing);
}

TEST(JwtVerifier, ExpiredOnceExpPlusLeewayIsReached) {
  JwtChecks checks;
  checks.leeway_s = 60;
  auto at = [&](const std::string& exp) {
    return hs256_verifier(checks).verify(hs256(payload(R"("exp":)" + exp)), kNow);
  };
  EXPECT_TRUE(at(std::to_string(kNow - 59)).ok());
  EXPECT_EQ(failure(at(std::to_string(kNow - 60))), JwtFailure::kExpired);
  EXPECT_EQ(failure(at(std::to_string(kNow - 3600))), JwtFailure::kExpired);
  EXPECT_TRUE(at(std::to_string(kNow - 60) + ".5").ok());  // a fraction counts
  EXPECT_EQ(failure(at("-1e300")), JwtFailure::kExpired);
  EXPECT_TRUE(at("1e300").ok());  // clamped, not overflowed
  EXPECT_TRUE(at("18446744073709551615").ok());
  EXPECT_EQ(failure(rsa_verifier(checks).verify(rs256(payload(R"("exp":1)")), kNow)),
            JwtFailure::kExpired);
  EXPECT_EQ(failure(ec_verifier(checks).verify(es256(payload(R"("exp":1)")), kNow)),
            JwtFailure::kExpired);
  checks.leeway_s = 0;
  EXPECT_EQ(failure(at(std::to_string(kNow))), JwtFailure::kExpired);
  EXPECT_TRUE(at(std::to_string(kNow + 1)).ok());
}

TEST(JwtVerifier, NotYetValidUntilNbfMinusLeeway) {
  JwtChecks checks;
  checks.leeway_s = 60;
  auto at = [&](std::int64_t nbf) {
    return hs256_verifier(checks).verify(hs256(payload(R"("nbf":)" + std::to_string(nbf))), kNow);
  };
  EXPECT_TRUE(at(kNow + 60).ok());
  EXPECT_EQ(failure(at(kNow + 61)), JwtFailure::kNotYetValid);
  EXPECT_EQ(failure(at(kNow + 86400)), JwtFailure::kNotYetValid);
  EXPECT_EQ(failure(ec_verifier(checks).verify(
                es256(payload(R"("nbf":)" + std::to_string(kNow + 3600))), kNow)),
            JwtFailure::kNotYetValid);
}

// ---- Issuer, audience, subject ----

TEST(JwtVerifier, AWrongOrMissingIssuerIsRefusedWhenOneIsConfigured) {
  JwtChecks checks;
  checks.issuer = "https://id.example";
  EXPECT_TRUE(
      hs256_verifier(checks).verify(hs256(payload(R"("iss":"https://id.example")")), kNow).ok());
  EXPECT_EQ(failure(hs256_verifier(checks).verify(hs256(payload(R"("iss":"https://evil")")), kNow)),
            JwtFailure::kIssuerInvalid);
  EXPECT_EQ(failure(hs256_verifier(checks).verify(hs256(payload()), kNow)),
            JwtFailure::kIssuerInvalid);
  EXPECT_EQ(failure(rsa_verifier(checks).verify(rs256(payload(R"("iss":"x")")), kNow)),
            JwtFailure::kIssuerInvalid);
  // Not configured: any issuer.
  EXPECT_TRUE(hs256_verifier().verify(hs256(payload(R"("iss":"anyone")")), kNow).ok());
}

TEST(JwtVerifier, AnAudienceNotNamingThisServiceIsRefusedWhenOneIsConfigured) {
  JwtChecks checks;
  checks.audience = "orderd";
  auto with = [&](const std::string& aud) {
    return hs256_verifier(checks).verify(hs256(payload(R"("aud":)" + aud)), kNow);
  };
  EXPECT_TRUE(with(R"("orderd")").ok());
  EXPECT_TRUE(with(R"(["billing","orderd"])").ok());
  EXPECT_EQ(failure(with(R"("billing")")), JwtFailure::kAudienceInvalid);
  EXPECT_EQ(failure(with(R"(["billing"])")), JwtFailure::kAudienceInvalid);
  EXPECT_EQ(failure(with(R"([])")), JwtFailure::kAudienceInvalid);
  EXPECT_EQ(failure(hs256_verifier(checks).verify(hs256(payload()), kNow)),
            JwtFailure::kAudienceInvalid);
  EXPECT_EQ(failure(ec_verifier(checks).verify(es256(payload(R"("aud":"x")")), kNow)),
            JwtFailure::kAudienceInvalid);
}

TEST(JwtVerifier, ASubjectMustBeANonEmptyString) {
  const std::string exp = std::to_string(kNow + 60);
  for (const std::string& body :
       {R"({"exp":)" + exp + "}", R"({"sub":"","exp":)" + exp + "}",
        R"({"sub":100,"exp":)" + exp + "}", R"({"sub":null,"exp":)" + exp + "}"}) {
    EXPECT_EQ(failure(hs256_verifier().verify(hs256(body), kNow)), JwtFailure::kSubjectMissing)
        << body;
    EXPECT_EQ(failure(rsa_verifier().verify(rs256(body), kNow)), JwtFailure::kSubjectMissing);
  }
}

// ---- JWK Sets ----

std::string jwk(const TestKey& key, const std::string& extra) {
  return "{" + key.public_jwk_members + (extra.empty() ? "" : "," + extra) + "}";
}

TEST(JwtVerifier, AJwkSetsKidChoosesTheKey) {
  const JwtVerifier verifier(
      JwtKeySet::from_jwks(R"({"keys":[)" + jwk(rsa(), R"("kid":"r1","use":"sig","alg":"RS256")") +
                           "," + jwk(ec(), R"("kid":"e1")") + "]}"),
      {});
  EXPECT_TRUE(verifier.verify(rs256(payload(), R"({"alg":"RS256","kid":"r1"})"), kNow).ok());
  EXPECT_TRUE(verifier.verify(es256(payload(), R"({"alg":"ES256","kid":"e1"})"), kNow).ok());
  EXPECT_EQ(failure(verifier.verify(rs256(payload(), R"({"alg":"RS256","kid":"r2"})"), kNow)),
            JwtFailure::kKeyUnknown);
  EXPECT_EQ(failure(verifier.verify(rs256(payload()), kNow)), JwtFailure::kKeyUnknown);  // no kid
  // The kid picks the EC key; its algorithm, not the token's, decides.
  EXPECT_EQ(failure(verifier.verify(rs256(payload(), R"({"alg":"RS256","kid":"e1"})"), kNow)),
            JwtFailure::kAlgorithmNotAllowed);
  EXPECT_EQ(failure(verifier.verify(sign_jwt(R"({"alg":"HS256","kid":"r1"})", payload(),
                                             JwtAlgorithm::kHS256, rsa().public_pem),
                                    kNow)),
            JwtFailure::kAlgorithmNotAllowed);
  EXPECT_EQ(failure(verifier.verify(rs256(payload(), R"({"alg":"RS256","kid":7})"), kNow)),
            JwtFailure::kMalformed);
}

TEST(JwtVerifier, AJwkSetOfOneKeyServesTokensWithoutKid) {
  const JwtVerifier verifier(JwtKeySet::from_jwks(R"({"keys":[)" + jwk(ec(), "") + "]}"), {});
  EXPECT_TRUE(verifier.verify(es256(payload()), kNow).ok());
  const JwtVerifier named(JwtKeySet::from_jwks(R"({"keys":[)" + jwk(ec(), R"("kid":"k")") + "]}"),
                          {});
  EXPECT_TRUE(named.verify(es256(payload()), kNow).ok());
  EXPECT_EQ(failure(named.verify(es256(payload(), R"({"alg":"ES256","kid":"other"})"), kNow)),
            JwtFailure::kKeyUnknown);
}

TEST(JwtVerifier, EncryptionKeysInAJwkSetAreSkipped) {
  const JwtKeySet set =
      JwtKeySet::from_jwks(R"({"keys":[)" + jwk(rsa(), R"("kid":"enc","use":"enc")") + "," +
                           jwk(ec(), R"("kid":"sig","use":"sig")") + "]}");
  ASSERT_EQ(set.keys().size(), 1u);
  EXPECT_EQ(set.keys().front().kid(), "sig");
  EXPECT_EQ(set.keys().front().algorithm(), JwtAlgorithm::kES256);
}

// ---- RFC 7515's examples, with their published keys ----

// Appendix A.2 and A.3: {"iss":"joe","exp":1300819380,"http://example.com/is_root":true}. They
// have no `sub`, so the furthest they can get is token_subject_missing: the signature, the
// algorithm and the expiry have all passed by then. One changed byte fails the signature.
constexpr std::int64_t kBeforeRfcExpiry = 1300819380 - 3600;
const std::string kRfcA2Token =
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm"
    "4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6x"
    "BArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ"
    "1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
const std::string kRfcA2Jwks =
    R"({"keys":[{"kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ","e":"AQAB"}]})";
const std::string kRfcA3Token =
    "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxf"
    "KTUJqPP3-Kg6NU1Q";
const std::string kRfcA3Jwks =
    R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";

TEST(JwtVerifier, Rfc7515A2Rs256ExampleVerifiesWithItsPublishedKey) {
  const JwtVerifier verifier(JwtKeySet::from_jwks(kRfcA2Jwks), {});
  EXPECT_EQ(failure(verifier.verify(kRfcA2Token, kBeforeRfcExpiry)), JwtFailure::kSubjectMissing);
  EXPECT_EQ(failure(verifier.verify(kRfcA2Token, 1300819380 + 3600)), JwtFailure::kExpired);
  EXPECT_EQ(failure(verifier.verify(flip(kRfcA2Token, 1, 10), kBeforeRfcExpiry)),
            JwtFailure::kSignatureInvalid);
  EXPECT_EQ(failure(verifier.verify(flip(kRfcA2Token, 2, 100), kBeforeRfcExpiry)),
            JwtFailure::kSignatureInvalid);
}

TEST(JwtVerifier, Rfc7515A3Es256ExampleVerifiesWithItsPublishedKey) {
  const JwtVerifier verifier(JwtKeySet::from_jwks(kRfcA3Jwks), {});
  EXPECT_EQ(failure(verifier.verify(kRfcA3Token, kBeforeRfcExpiry)), JwtFailure::kSubjectMissing);
  EXPECT_EQ(failure(verifier.verify(flip(kRfcA3Token, 1, 10), kBeforeRfcExpiry)),
            JwtFailure::kSignatureInvalid);
  EXPECT_EQ(failure(verifier.verify(flip(kRfcA3Token, 2, 20), kBeforeRfcExpiry)),
            JwtFailure::kSignatureInvalid);
}

// ---- Keys refused at startup (K2 in jwt_keys.hpp) ----

std::string refusal(const std::function<void()>& load) {
  try {
    load();
  } catch (const JwtKeyError& e) {
    return e.what();
  }
  return "(accepted)";
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(JwtKeys, AnHs256SecretFileIsItsBytesWithoutOneTrailingNewline) {
  testing::TempDir dir;
  auto file = [&](const std::string& name, const std::string& bytes) {
    const std::string path = (dir.path() / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  };
  EXPECT_EQ(read_hs256_secret(file("lf", kSecret + "\n")), kSecret);
  EXPECT_EQ(read_hs256_secret(file("crlf", kSecret + "\r\n")), kSecret);
  EXPECT_EQ(read_hs256_secret(file("two", kSecret + "\n\n")), kSecret + "\n");  // one only
  EXPECT_EQ(read_hs256_secret(file("none", kSecret)), kSecret);
  EXPECT_TRUE(mentions(refusal([&] { read_hs256_secret(file("empty", "")); }), "empty"));
  EXPECT_TRUE(mentions(refusal([&] { read_hs256_secret(file("nl", "\n")); }), "empty"));
  EXPECT_TRUE(mentions(refusal([&] { read_hs256_secret(file("short", std::string(31, 'k'))); }),
                       "31 bytes"));
  EXPECT_TRUE(mentions(refusal([&] { read_hs256_secret((dir.path() / "missing").string()); }),
                       "cannot read"));
  EXPECT_EQ(read_hs256_secret(file("32", std::string(32, 'k') + "\n")), std::string(32, 'k'));

  JwtOptions options;
  options.hs256_secret_file = file("short2", "short\n");
  const std::string why = refusal([&] { JwtVerifier::load(options); });
  EXPECT_TRUE(mentions(why, "--jwt-hs256-secret-file " + options.hs256_secret_file)) << why;
  // The loaded verifier checks with the bytes the file holds, newline dropped.
  options.hs256_secret_file = file("ok", kSecret + "\n");
  EXPECT_TRUE(JwtVerifier::load(options).verify(hs256(payload()), kNow).ok());
}

TEST(JwtKeys, APublicKeyFileMustBeRsa2048OrEcP256) {
  EXPECT_EQ(JwtKey::from_public_pem(rsa().public_pem).algorithm(), JwtAlgorithm::kRS256);
  EXPECT_EQ(JwtKey::from_public_pem(ec().public_pem).algorithm(), JwtAlgorithm::kES256);
  EXPECT_TRUE(mentions(refusal([] { JwtKey::from_public_pem("not a pem"); }), "PEM"));
  EXPECT_TRUE(mentions(refusal([] { JwtKey::from_public_pem(rsa().private_pem); }), "PEM"));
  EXPECT_TRUE(mentions(
      refusal([] { JwtKey::from_public_pem(testing::rsa_test_key(1024).public_pem); }), "1024"));
  EXPECT_TRUE(
      mentions(refusal([] { JwtKey::from_public_pem(testing::ec_test_key("P-384").public_pem); }),
               "secp384r1"));
  EXPECT_TRUE(mentions(
      refusal([] { JwtKey::from_public_pem(testing::ed25519_test_key().public_pem); }), "neither"));
  JwtOptions options;
  options.public_key_file = "/nonexistent/key.pem";
  EXPECT_TRUE(mentions(refusal([&] { JwtVerifier::load(options); }),
                       "--jwt-public-key-file /nonexistent/key.pem: cannot read"));
}

TEST(JwtKeys, AJwkSetWithKeysThatCannotBeTrustedIsRefused) {
  auto jwks = [](const std::string& keys) {
    return refusal([&] { JwtKeySet::from_jwks(R"({"keys":[)" + keys + "]}"); });
  };
  EXPECT_TRUE(mentions(refusal([] { JwtKeySet::from_jwks("[]"); }), "not a JSON object"));
  EXPECT_TRUE(mentions(refusal([] { JwtKeySet::from_jwks("{}"); }), "keys"));
  EXPECT_TRUE(mentions(jwks(""), "no signing keys"));
  EXPECT_TRUE(mentions(jwks(jwk(rsa(), R"("use":"enc")")), "no signing keys"));
  EXPECT_TRUE(mentions(jwks(R"({"kty":"oct","k":"c2VjcmV0"})"), "oct"));
  EXPECT_TRUE(mentions(jwks(R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})"), "OKP"));
  EXPECT_TRUE(mentions(jwks(jwk(testing::ec_test_key("P-384"), "")), "P-384"));
  EXPECT_TRUE(mentions(jwks(jwk(testing::rsa_test_key(1024), "")), "1024"));
  EXPECT_TRUE(mentions(jwks(jwk(rsa(), R"("alg":"ES256")")), "disagrees"));
  EXPECT_TRUE(mentions(jwks(jwk(rsa(), R"("alg":"PS256")")), "disagrees"));
  EXPECT_TRUE(mentions(jwks(jwk(ec(), R"("alg":"RS256")")), "disagrees"));
  EXPECT_TRUE(mentions(jwks(jwk(rsa(), "") + "," + jwk(ec(), R"("kid":"e")")), "kid"));
  EXPECT_TRUE(
      mentions(jwks(jwk(rsa(), R"("kid":"k")") + "," + jwk(ec(), R"("kid":"k")")), "share"));
  EXPECT_TRUE(mentions(jwks(R"({"kty":"RSA","n":"AQAB"})"), "\"e\""));
  EXPECT_TRUE(mentions(jwks(R"({"kty":"RSA","n":"AQ=AB","e":"AQAB"})"), "base64url"));
  // A point that is not on the curve: x of the RFC's key with another y.
  EXPECT_TRUE(mentions(
      jwks(
          R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5aw"})"),
      "not a valid EC"));
  EXPECT_TRUE(mentions(jwks(R"({"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})"), "32 bytes"));
  EXPECT_TRUE(mentions(jwks("7"), "not an object"));
}

// ---- What the verifier leans on ----

TEST(Base64url, EncodesWithoutPaddingAndDecodesStrictly) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  for (const std::string& bytes :
       {std::string(""), std::string("f"), std::string("\0\xff\x7f", 3), std::string(1000, '\xa5')})
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(base64url_decode("Zg=="), std::nullopt);  // padding
  EXPECT_EQ(base64url_decode("+/8"), std::nullopt);   // the standard alphabet
  EXPECT_EQ(base64url_decode("Zm 9v"), std::nullopt);
  EXPECT_EQ(base64url_decode("Z"), std::nullopt);   // no encoding ends with one character
  EXPECT_EQ(base64url_decode("Zh"), std::nullopt);  // stray low bits: another text for "f"
  EXPECT_EQ(base64url_decode("Zm9"), std::nullopt);
}

TEST(CallerUserId, IsTheSubjectAsACanonicalPositiveDecimal) {
  auto id = [](const std::string& subject) {
    Caller caller;
    caller.subject = subject;
    return caller.user_id();
  };
  EXPECT_EQ(id("100"), 100);
  EXPECT_EQ(id("1"), 1);
  EXPECT_EQ(id("999999999999999999"), 999999999999999999);
  for (const char* bad :
       {"", "0", "007", "-5", "+5", "10a", "a10", " 10", "1e3", "9999999999999999999", "user123"})
    EXPECT_EQ(id(bad), std::nullopt) << bad;
}

TEST(CallerOwnsOnly, OnlyAPlainCustomerIsLimitedToItsOwnData) {
  Caller caller;
  caller.open = false;
  caller.roles = Role::kCustomer;
  EXPECT_TRUE(caller.owns_only());
  caller.roles = Role::kCustomer | Role::kAdmin;
  EXPECT_FALSE(caller.owns_only());
  caller.roles = Role::kCustomer | Role::kService;
  EXPECT_FALSE(caller.owns_only());
  caller.open = true;
  caller.roles = Role::kCustomer;
  EXPECT_FALSE(caller.owns_only());
}

}  // namespace
}  // namespace orderd::auth
