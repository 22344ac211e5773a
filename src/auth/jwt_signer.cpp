#include "auth/jwt_signer.hpp"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <memory>

#include "auth/base64url.hpp"
#include "auth/openssl_handles.hpp"
#include "common/json_writer.hpp"

namespace orderd::auth {
namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length))
    throw std::runtime_error("HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string sign_with_pem(std::string_view pem, std::string_view data, JwtAlgorithm alg) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  ossl::Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) throw std::runtime_error("not a PEM private key");
  const int type = EVP_PKEY_get_base_id(key.get());
  if ((alg == JwtAlgorithm::kRS256 && type != EVP_PKEY_RSA) ||
      (alg == JwtAlgorithm::kES256 && type != EVP_PKEY_EC))
    throw std::runtime_error("the private key does not fit " + std::string(to_string(alg)));
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    throw std::runtime_error("signing failed");
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    throw std::runtime_error("signing failed");
  signature.resize(length);
  if (alg != JwtAlgorithm::kES256) return signature;
  // OpenSSL gives DER; JWS wants r and s, each 32 bytes big-endian.
  const unsigned char* der = reinterpret_cast<const unsigned char*>(signature.data());
  ossl::EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size())));
  if (!sig) throw std::runtime_error("signing failed");
  std::string raw(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + 32, 32) != 32)
    throw std::runtime_error("not a P-256 signature");
  return raw;
}

}  // namespace

std::string sign_jwt(std::string_view header_json, std::string_view payload_json, JwtAlgorithm alg,
                     std::string_view key) {
  std::string input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
  const std::string signature =
      alg == JwtAlgorithm::kHS256 ? hmac_sha256(key, input) : sign_with_pem(key, input, alg);
  return input + "." + base64url_encode(signature);
}

std::string mint_hs256(const boost::json::object& claims, std::string_view secret) {
  return sign_jwt(R"({"alg":"HS256","typ":"JWT"})", json::dump(claims), JwtAlgorithm::kHS256,
                  secret);
}

}  // namespace orderd::auth
