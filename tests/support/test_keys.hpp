#pragma once
// Fresh asymmetric keys for the JWT tests, made with OpenSSL at run time (no key material is
// checked in): a private PEM to sign with (auth/jwt_signer.hpp), the public PEM and the public
// JWK that orderd is given to verify with.
#include <string>

namespace orderd::testing {

struct TestKey {
  std::string private_pem;
  std::string public_pem;
  // {"kty":"RSA","n":..,"e":..} or {"kty":"EC","crv":..,"x":..,"y":..}; no kid, alg or use, so a
  // test adds what it needs.
  std::string public_jwk_members;  // the members without braces, to splice into a JWK
};

TestKey rsa_test_key(int bits = 2048);
TestKey ec_test_key(const char* curve = "P-256");  // "P-256", "P-384"
TestKey ed25519_test_key();                        // no JWK (empty members)

}  // namespace orderd::testing
