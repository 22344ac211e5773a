#include "auth/jwt_keys.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "auth/base64url.hpp"
#include "auth/openssl_handles.hpp"

namespace orderd::auth {
namespace {

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool hs256_verifies(const std::string& secret, std::string_view input, std::string_view signature) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), bytes(input),
            input.size(), mac, &length))
    return false;
  // Constant time: a byte-by-byte early exit would tell a forger how many bytes were right.
  return signature.size() == length && CRYPTO_memcmp(mac, signature.data(), length) == 0;
}

bool digest_verifies(EVP_PKEY* key, std::string_view input, std::string_view signature) {
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1)
    return false;
  // RSA keys verify PKCS#1 v1.5, OpenSSL's default padding for them (RS256, RFC 7518 §3.3).
  return EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(input),
                          input.size()) == 1;
}

// RFC 7518 §3.4: r and s, 32 bytes each, big-endian; OpenSSL wants DER. Any other length (a DER
// signature included) is refused, so one signature has one encoding.
bool es256_verifies(EVP_PKEY* key, std::string_view input, std::string_view signature) {
  if (signature.size() != 64) return false;
  ossl::EcdsaSig sig(ECDSA_SIG_new());
  ossl::Bn r(BN_bin2bn(bytes(signature), 32, nullptr));
  ossl::Bn s(BN_bin2bn(bytes(signature) + 32, 32, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
  r.release();  // now owned by sig
  s.release();
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_length <= 0) return false;
  std::string der_signature(reinterpret_cast<const char*>(der),
                            static_cast<std::size_t>(der_length));
  OPENSSL_free(der);
  return digest_verifies(key, input, der_signature);
}

// K1, K2: the one algorithm an RSA or EC public key allows, or why it is refused.
JwtAlgorithm algorithm_of(EVP_PKEY* key, std::string_view source) {
  const int type = EVP_PKEY_get_base_id(key);
  if (type == EVP_PKEY_RSA) {
    if (EVP_PKEY_get_bits(key) < kMinRsaBits)
      throw JwtKeyError(std::string(source) + ": an RSA key of " +
                        std::to_string(EVP_PKEY_get_bits(key)) + " bits; RS256 needs at least " +
                        std::to_string(kMinRsaBits));
    return JwtAlgorithm::kRS256;
  }
  if (type == EVP_PKEY_EC) {
    char group[64] = {};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) != 1 ||
        std::string_view(group) != "prime256v1")
      throw JwtKeyError(std::string(source) + ": an EC key on curve " +
                        (group[0] ? std::string(group) : std::string("?")) +
                        "; only P-256 (ES256) is accepted");
    return JwtAlgorithm::kES256;
  }
  throw JwtKeyError(std::string(source) +
                    ": neither an RSA nor an EC P-256 public key (only RS256 and ES256 are "
                    "accepted with a public key)");
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw JwtKeyError("cannot read the file");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// ---- JWK (RFC 7517, RFC 7518 §6) ----

const boost::json::string* string_member(const boost::json::object& o, std::string_view name) {
  auto it = o.find(name);
  return it != o.end() && it->value().is_string() ? &it->value().get_string() : nullptr;
}

std::string decoded_member(const boost::json::object& jwk, std::string_view name,
                           const std::string& where) {
  const boost::json::string* text = string_member(jwk, name);
  if (!text) throw JwtKeyError(where + ": no \"" + std::string(name) + "\" string");
  auto decoded = base64url_decode(*text);
  if (!decoded || decoded->empty())
    throw JwtKeyError(where + ": \"" + std::string(name) + "\" is not base64url");
  return *decoded;
}

ossl::Pkey key_from_params(const char* type, OSSL_PARAM_BLD* builder, const std::string& where) {
  ossl::Params params(OSSL_PARAM_BLD_to_param(builder));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 || !key)
    throw JwtKeyError(where + ": not a valid " + type + " public key");
  ossl::Pkey owned(key);
  // fromdata does not check that an EC point lies on its curve; an invalid point is refused here.
  ossl::PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, owned.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1)
    throw JwtKeyError(where + ": not a valid " + type + " public key");
  return owned;
}

ossl::Pkey rsa_from_jwk(const boost::json::object& jwk, const std::string& where) {
  const std::string n = decoded_member(jwk, "n", where);
  const std::string e = decoded_member(jwk, "e", where);
  ossl::Bn bn_n(BN_bin2bn(bytes(n), static_cast<int>(n.size()), nullptr));
  ossl::Bn bn_e(BN_bin2bn(bytes(e), static_cast<int>(e.size()), nullptr));
  ossl::ParamBld builder(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    throw JwtKeyError(where + ": not a valid RSA public key");
  return key_from_params("RSA", builder.get(), where);
}

ossl::Pkey ec_from_jwk(const boost::json::object& jwk, const std::string& where) {
  const boost::json::string* crv = string_member(jwk, "crv");
  if (!crv || *crv != "P-256")
    throw JwtKeyError(where + ": an EC key on curve " + (crv ? std::string(*crv) : "(none)") +
                      "; only P-256 (ES256) is accepted");
  const std::string x = decoded_member(jwk, "x", where);
  const std::string y = decoded_member(jwk, "y", where);
  if (x.size() != 32 || y.size() != 32)
    throw JwtKeyError(where + ": a P-256 key's x and y are 32 bytes each");
  // The uncompressed point: 0x04 || x || y (SEC 1 §2.3.3).
  std::string point = "\x04" + x + y;
  ossl::ParamBld builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    throw JwtKeyError(where + ": not a valid EC public key");
  return key_from_params("EC", builder.get(), where);
}

}  // namespace

bool JwtKey::verifies(std::string_view signing_input, std::string_view signature) const {
  switch (algorithm_) {
    case JwtAlgorithm::kHS256:
      return hs256_verifies(secret_, signing_input, signature);
    case JwtAlgorithm::kRS256:
      return digest_verifies(public_.get(), signing_input, signature);
    case JwtAlgorithm::kES256:
      return es256_verifies(public_.get(), signing_input, signature);
  }
  return false;
}

JwtKey JwtKey::hs256(std::string secret, std::string kid) {
  if (secret.size() < kMinHs256SecretBytes)
    throw JwtKeyError("an HS256 secret of " + std::to_string(secret.size()) + " bytes; at least " +
                      std::to_string(kMinHs256SecretBytes) + " are needed");
  JwtKey key;
  key.algorithm_ = JwtAlgorithm::kHS256;
  key.secret_ = std::move(secret);
  key.kid_ = std::move(kid);
  return key;
}

JwtKey JwtKey::from_public_pem(std::string_view pem, std::string kid) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  ossl::Pkey pkey(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pkey) throw JwtKeyError("not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  JwtKey key;
  key.algorithm_ = algorithm_of(pkey.get(), "the public key");
  key.public_ = std::shared_ptr<EVP_PKEY>(pkey.release(), ossl::PkeyFree{});
  key.kid_ = std::move(kid);
  return key;
}

JwtKeySet JwtKeySet::single(JwtKey key) {
  JwtKeySet set;
  set.keys_.push_back(std::move(key));
  return set;
}

JwtKeySet JwtKeySet::from_jwks(std::string_view json, std::string_view source) {
  const std::string name(source);
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(json, ec);
  if (ec || !doc.is_object()) throw JwtKeyError(name + ": not a JSON object");
  auto keys_it = doc.as_object().find("keys");
  if (keys_it == doc.as_object().end() || !keys_it->value().is_array())
    throw JwtKeyError(name + ": no \"keys\" array (RFC 7517 §5)");
  JwtKeySet set;
  std::set<std::string> kids;
  std::size_t index = 0;
  for (const auto& item : keys_it->value().as_array()) {
    const std::string where = name + ": keys[" + std::to_string(index++) + "]";
    if (!item.is_object()) throw JwtKeyError(where + ": not an object");
    const auto& jwk = item.as_object();
    if (auto it = jwk.find("use"); it != jwk.end()) {
      if (!it->value().is_string()) throw JwtKeyError(where + ": \"use\" is not a string");
      if (it->value().get_string() != "sig") continue;  // an encryption key: not ours (K2)
    }
    const boost::json::string* kty = string_member(jwk, "kty");
    if (!kty) throw JwtKeyError(where + ": no \"kty\"");
    JwtKey key;
    if (*kty == "RSA") {
      ossl::Pkey pkey = rsa_from_jwk(jwk, where);
      key.algorithm_ = algorithm_of(pkey.get(), where);
      key.public_ = std::shared_ptr<EVP_PKEY>(pkey.release(), ossl::PkeyFree{});
    } else if (*kty == "EC") {
      ossl::Pkey pkey = ec_from_jwk(jwk, where);
      key.algorithm_ = algorithm_of(pkey.get(), where);
      key.public_ = std::shared_ptr<EVP_PKEY>(pkey.release(), ossl::PkeyFree{});
    } else if (*kty == "oct") {
      throw JwtKeyError(where +
                        ": a symmetric (oct) key; a shared secret does not belong in a key set "
                        "(use --jwt-hs256-secret-file)");
    } else {
      throw JwtKeyError(where + ": key type \"" + std::string(*kty) +
                        "\" is not accepted (RSA and EC P-256 only)");
    }
    if (auto it = jwk.find("alg"); it != jwk.end()) {
      if (!it->value().is_string() || it->value().get_string() != to_string(key.algorithm_))
        throw JwtKeyError(where + ": \"alg\" disagrees with the key's type, which allows only " +
                          std::string(to_string(key.algorithm_)));
    }
    if (auto it = jwk.find("kid"); it != jwk.end()) {
      if (!it->value().is_string()) throw JwtKeyError(where + ": \"kid\" is not a string");
      key.kid_ = std::string(it->value().get_string());
    }
    set.keys_.push_back(std::move(key));
  }
  if (set.keys_.empty()) throw JwtKeyError(name + ": no signing keys");
  if (set.keys_.size() > 1) {
    for (const auto& key : set.keys_) {
      if (key.kid_.empty())
        throw JwtKeyError(name + ": with more than one key, each needs a \"kid\"");
      if (!kids.insert(key.kid_).second)
        throw JwtKeyError(name + ": two keys share the kid \"" + key.kid_ + "\"");
    }
  }
  return set;
}

JwtKeySet JwtKeySet::load(const JwtOptions& options) {
  // Each error names the flag and the file (K2).
  auto named = [](std::string_view flag, const std::string& path, const auto& build) {
    try {
      return build();
    } catch (const JwtKeyError& e) {
      throw JwtKeyError(std::string(flag) + " " + path + ": " + e.what());
    }
  };
  if (!options.hs256_secret_file.empty())
    return named("--jwt-hs256-secret-file", options.hs256_secret_file, [&] {
      return single(JwtKey::hs256(read_hs256_secret(options.hs256_secret_file)));
    });
  if (!options.public_key_file.empty())
    return named("--jwt-public-key-file", options.public_key_file, [&] {
      return single(JwtKey::from_public_pem(read_file(options.public_key_file)));
    });
  if (!options.jwks_file.empty())
    return named("--jwt-jwks-file", options.jwks_file,
                 [&] { return from_jwks(read_file(options.jwks_file), "the JWK Set"); });
  throw JwtKeyError("no --jwt-* key source given");
}

const JwtKey* JwtKeySet::find(const std::optional<std::string>& kid) const {
  if (kid) {
    for (const auto& key : keys_)
      if (key.kid_ == *kid) return &key;
  }
  // No kid, or a lone key that names none (a secret, a PEM): the only key there is.
  if (keys_.size() == 1 && (!kid || keys_.front().kid_.empty())) return &keys_.front();
  return nullptr;
}

std::string read_hs256_secret(const std::string& path) {
  std::string secret = read_file(path);
  if (!secret.empty() && secret.back() == '\n') {
    secret.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
  }
  if (secret.empty()) throw JwtKeyError("the secret is empty");
  if (secret.size() < kMinHs256SecretBytes)
    throw JwtKeyError("the secret has " + std::to_string(secret.size()) + " bytes; at least " +
                      std::to_string(kMinHs256SecretBytes) +
                      " are needed (e.g. openssl rand -hex 32 > FILE)");
  return secret;
}

}  // namespace orderd::auth
