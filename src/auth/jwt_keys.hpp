#pragma once
// The keys orderd trusts to sign tokens, loaded once at startup from --jwt-* (jwt_options.hpp),
// and the signature check itself. Over OpenSSL 3's EVP directly, with no new dependency: Debian's
// libjwt (1.10) takes the algorithm from the token, which is how HS256-signed-with-the-RSA-PEM
// forgeries get in, and reads no JWK Sets; libcpp-jwt-dev has no JWKS either.
//
// K1. Each key allows exactly one algorithm, fixed by what the key is: an HS256 secret HS256, an
//     RSA key RS256, an EC P-256 key ES256. A token's `alg` only has to agree with it
//     (jwt_verifier.hpp); it never chooses how the signature is checked.
// K2. A key that cannot be trusted as given is refused at startup with a message naming the file
//     and the reason, never skipped in silence: an HS256 secret under 32 bytes (RFC 7518 §3.2),
//     an RSA key under 2048 bits (§3.3), an EC key on another curve, a symmetric (oct) key in a
//     JWK Set, a JWK whose `alg` disagrees with its type, several JWKs without distinct `kid`s.
//     The one exception: JWKs whose `use` is not "sig" (encryption keys) are skipped.
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt_algorithm.hpp"
#include "auth/jwt_options.hpp"

struct evp_pkey_st;

namespace orderd::auth {

// A key that cannot be used (K2); what() names the file and the reason.
class JwtKeyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr std::size_t kMinHs256SecretBytes = 32;  // RFC 7518 §3.2: at least the hash's size
constexpr int kMinRsaBits = 2048;                 // RFC 7518 §3.3

class JwtKey {
 public:
  // K1: the one algorithm this key checks.
  JwtAlgorithm algorithm() const { return algorithm_; }
  const std::string& kid() const { return kid_; }  // empty: none
  // Whether `signature` (the JWS signature's bytes, decoded) signs `signing_input` (the token's
  // first two parts with their dot) under this key and its algorithm. HS256 compares in constant
  // time; ES256 takes only the 64-byte r||s form of RFC 7518 §3.4, never DER.
  bool verifies(std::string_view signing_input, std::string_view signature) const;

  static JwtKey hs256(std::string secret, std::string kid = {});
  // An RSA or EC P-256 public key from a PEM (SubjectPublicKeyInfo); throws JwtKeyError (K2).
  static JwtKey from_public_pem(std::string_view pem, std::string kid = {});

 private:
  friend class JwtKeySet;
  JwtAlgorithm algorithm_ = JwtAlgorithm::kHS256;
  std::string kid_;
  std::string secret_;                   // HS256
  std::shared_ptr<evp_pkey_st> public_;  // RS256, ES256
};

class JwtKeySet {
 public:
  // From the options' one key source; throws JwtKeyError (K2). The options must be enabled().
  static JwtKeySet load(const JwtOptions& options);
  static JwtKeySet single(JwtKey key);
  // A JWK Set's text (RFC 7517 §5); `source` names it in errors. Throws JwtKeyError (K2).
  static JwtKeySet from_jwks(std::string_view json, std::string_view source = "the JWK Set");

  // The key a token's `kid` header names: the key with that kid; with no kid, or a set of one key
  // without a kid of its own, the set's only key. Null when none fits (token_key_unknown).
  const JwtKey* find(const std::optional<std::string>& kid) const;
  const std::vector<JwtKey>& keys() const { return keys_; }

 private:
  std::vector<JwtKey> keys_;
};

// An HS256 secret file's bytes, one trailing newline ("\n" or "\r\n") dropped so that `echo` and
// editors may write it; throws JwtKeyError (the reason; the caller names the file) when it is
// unreadable, empty, or under 32 bytes (K2). orderctl's `token` reads its secret the same way, so
// both sides agree on the bytes.
std::string read_hs256_secret(const std::string& path);

}  // namespace orderd::auth
