#include "support/test_keys.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <stdexcept>

#include "auth/base64url.hpp"

namespace orderd::testing {
namespace {

using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

TestKey pems(EVP_PKEY* key) {
  if (!key) throw std::runtime_error("key generation failed");
  std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), &BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> pub(BIO_new(BIO_s_mem()), &BIO_free);
  if (PEM_write_bio_PrivateKey(priv.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_PUBKEY(pub.get(), key) != 1)
    throw std::runtime_error("PEM encoding failed");
  return TestKey{bio_text(priv.get()), bio_text(pub.get()), {}};
}

std::string bn_param(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("no key parameter");
  std::string out(static_cast<std::size_t>(pad > 0 ? pad : BN_num_bytes(bn)), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  BN_free(bn);
  return auth::base64url_encode(out);
}

}  // namespace

TestKey rsa_test_key(int bits) {
  Pkey key(EVP_RSA_gen(static_cast<unsigned>(bits)), &EVP_PKEY_free);
  TestKey out = pems(key.get());
  out.public_jwk_members = R"("kty":"RSA","n":")" + bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N) +
                           R"(","e":")" + bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E) + "\"";
  return out;
}

TestKey ec_test_key(const char* curve) {
  Pkey key(EVP_EC_gen(curve), &EVP_PKEY_free);
  TestKey out = pems(key.get());
  const int size = std::string(curve) == "P-384" ? 48 : 32;
  out.public_jwk_members = R"("kty":"EC","crv":")" + std::string(curve) + R"(","x":")" +
                           bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, size) + R"(","y":")" +
                           bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, size) + "\"";
  return out;
}

TestKey ed25519_test_key() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
  return pems(key.get());
}

}  // namespace orderd::testing
