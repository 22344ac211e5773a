// Issue 15's authentication on the real binary, over HTTP: every attack of the matrix is its own
// case, refused with 401, problem+json, the stable code, and the RFC 6750 challenge; /health and
// /ready stay open on both listeners; the admin listener wants an admin; orderctl's tokens are
// accepted and its --token is sent; and an open orderd refuses a non-loopback address unless
// told --insecure-open.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "auth/base64url.hpp"
#include "auth/jwt_signer.hpp"
#include "client/http_client.hpp"
#include "support/json_fields.hpp"
#include "support/orderd_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_keys.hpp"

namespace orderd::testing {
namespace {

using auth::JwtAlgorithm;
using client::HttpClient;
using client::HttpResult;

const std::string kSecret = "e2e-secret-with-at-least-32-bytes-of-entropy";
const std::string kIssuer = "https://id.orderd.test";
const std::string kAudience = "orderd";
const std::string kHs256Header = R"({"alg":"HS256","typ":"JWT"})";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Claims the server accepts: a customer (or `roles`) with the server's iss and aud, for an hour.
boost::json::object claims(const std::string& sub = "100",
                           boost::json::array roles = {"customer"}) {
  return {{"sub", sub},     {"roles", std::move(roles)}, {"iss", kIssuer}, {"aud", kAudience},
          {"iat", now_s()}, {"exp", now_s() + 3600}};
}

std::string sign(const boost::json::object& c, const std::string& secret = kSecret,
                 const std::string& header = kHs256Header) {
  return auth::sign_jwt(header, boost::json::serialize(c), JwtAlgorithm::kHS256, secret);
}

std::string write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path.string();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

HttpResult get(std::uint16_t port, const std::string& path, const std::string& token) {
  HttpClient client(port);
  client::Headers headers;
  if (!token.empty()) headers.emplace_back("authorization", "Bearer " + token);
  return client.request("GET", path, "", headers);
}

// The challenge of RFC 6750 §3: error="invalid_token" with a description, except for a request
// without credentials (§3.1), which gets the bare challenge.
void expect_challenge(const HttpResult& r, bool missing) {
  const std::string challenge = r.header("www-authenticate");
  EXPECT_EQ(challenge.rfind("Bearer realm=\"orderd\"", 0), 0u) << challenge;
  if (missing) {
    EXPECT_FALSE(contains(challenge, "error=")) << challenge;
  } else {
    EXPECT_TRUE(contains(challenge, ", error=\"invalid_token\", error_description=\""))
        << challenge;
  }
}

// The refusal every attack on an /api route must meet: 401, problem+json with the stable `code`,
// and the challenge. Never the token in the body.
void expect_refused(const HttpResult& r, const std::string& code, const std::string& token = "") {
  EXPECT_EQ(r.status, 401u) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  auto body = object_of(r.body);
  ASSERT_TRUE(body) << r.body;
  EXPECT_EQ(string_at(*body, "code"), code) << r.body;
  EXPECT_EQ(int_at(*body, "status"), 401) << r.body;
  expect_challenge(r, code == "token_missing");
  if (!token.empty()) {
    EXPECT_FALSE(contains(r.body, token));
  }
}

// The same refusal on a Restate-family route (the admin listener, a path no route matched):
// Restate's {code: 401, message}, which has no member for the stable code; the challenge says
// whether a token was missing or refused.
void expect_restate_refused(const HttpResult& r, bool missing) {
  EXPECT_EQ(r.status, 401u) << r.body;
  auto body = object_of(r.body);
  ASSERT_TRUE(body) << r.body;
  EXPECT_EQ(int_at(*body, "code"), 401) << r.body;
  expect_challenge(r, missing);
}

// One orderd for the matrix, with an HS256 secret, an issuer and an audience.
class AuthE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    secret_file_ = write_file(dir_->path() / "secret", kSecret + "\n");
    orderd_ = new OrderdProcess(
        (dir_->path() / "data").string(),
        {"--jwt-hs256-secret-file", secret_file_, "--jwt-issuer", kIssuer, "--jwt-audience",
         kAudience, "--latency-scale", "0", "--failure-scale", "0"});
  }
  static void TearDownTestSuite() {
    delete orderd_;
    delete dir_;
  }
  static HttpResult orders(const std::string& token) {
    return get(orderd_->port(), "/api/v1/orders", token);
  }

  static TempDir* dir_;
  static std::string secret_file_;
  static OrderdProcess* orderd_;
};
TempDir* AuthE2eTest::dir_ = nullptr;
std::string AuthE2eTest::secret_file_;
OrderdProcess* AuthE2eTest::orderd_ = nullptr;

// ---- The attack matrix ----

TEST_F(AuthE2eTest, NoTokenIsRefusedWithTheBareChallenge) {
  expect_refused(orders(""), "token_missing");
  HttpClient client(orderd_->port());
  expect_refused(client.request("GET", "/api/v1/orders", "", {{"authorization", "Basic dTpw"}}),
                 "token_missing");
}

TEST_F(AuthE2eTest, ABadSignatureIsRefused) {
  std::string token = sign(claims());
  char& c = token[token.rfind('.') + 5];
  c = c == 'A' ? 'B' : 'A';
  expect_refused(orders(token), "token_signature_invalid", token);
}

TEST_F(AuthE2eTest, ATokenSignedWithAnotherKeyIsRefused) {
  const std::string token = sign(claims(), "another-secret-with-at-least-32-bytes!!");
  expect_refused(orders(token), "token_signature_invalid", token);
}

TEST_F(AuthE2eTest, AlgNoneIsRefused) {
  const std::string token = auth::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                            auth::base64url_encode(boost::json::serialize(claims())) + ".";
  expect_refused(orders(token), "token_algorithm_not_allowed", token);
}

TEST_F(AuthE2eTest, AnAlgorithmTheKeyDoesNotAllowIsRefused) {
  const TestKey rsa = rsa_test_key();
  const std::string token =
      auth::sign_jwt(R"({"alg":"RS256","typ":"JWT"})", boost::json::serialize(claims()),
                     JwtAlgorithm::kRS256, rsa.private_pem);
  expect_refused(orders(token), "token_algorithm_not_allowed", token);
}

TEST_F(AuthE2eTest, AnExpiredTokenIsRefused) {
  auto c = claims();
  c["exp"] = now_s() - 3600;  // past the 60 s leeway
  expect_refused(orders(sign(c)), "token_expired");
}

TEST_F(AuthE2eTest, ATokenNotYetValidIsRefused) {
  auto c = claims();
  c["nbf"] = now_s() + 3600;
  expect_refused(orders(sign(c)), "token_not_yet_valid");
}

TEST_F(AuthE2eTest, ATokenWithoutExpIsRefused) {
  auto c = claims();
  c.erase("exp");
  expect_refused(orders(sign(c)), "token_expiry_missing");
}

TEST_F(AuthE2eTest, AMalformedTokenIsRefused) {
  for (const std::string& token : {std::string("not-a-jwt"), std::string("a.b.c"),
                                   sign(claims()) + ".extra", std::string(9000, 'x')})
    expect_refused(orders(token), "token_malformed");
  HttpClient client(orderd_->port());
  expect_refused(client.request("GET", "/api/v1/orders", "", {{"authorization", "Bearer"}}),
                 "token_missing");  // the scheme alone, no token: no credentials
  expect_refused(client.request("GET", "/api/v1/orders", "", {{"authorization", "Bearer  "}}),
                 "token_missing");
}

// A customer's token, its payload swapped for one that says admin, its signature kept.
TEST_F(AuthE2eTest, ATamperedPayloadIsRefused) {
  const std::string token = sign(claims("100", {"customer"}));
  const std::string forged =
      token.substr(0, token.find('.') + 1) +
      auth::base64url_encode(boost::json::serialize(claims("100", {"customer", "admin"}))) +
      token.substr(token.rfind('.'));
  expect_refused(orders(forged), "token_signature_invalid", forged);
  expect_restate_refused(get(orderd_->admin_port(), "/invocations", forged), false);
}

TEST_F(AuthE2eTest, AWrongIssuerIsRefused) {
  auto c = claims();
  c["iss"] = "https://evil.example";
  expect_refused(orders(sign(c)), "token_issuer_invalid");
}

TEST_F(AuthE2eTest, AWrongAudienceIsRefused) {
  auto c = claims();
  c["aud"] = boost::json::array{"billing", "shipping"};
  expect_refused(orders(sign(c)), "token_audience_invalid");
}

TEST_F(AuthE2eTest, ATokenWithoutSubjectIsRefused) {
  auto c = claims();
  c.erase("sub");
  expect_refused(orders(sign(c)), "token_subject_missing");
}

TEST_F(AuthE2eTest, UnknownRoutesAreRefusedBeforeTheyAreFound) {
  // Without credentials a caller learns nothing of which routes exist.
  expect_restate_refused(get(orderd_->port(), "/no/such/route", ""), true);
  expect_refused(get(orderd_->port(), "/api/v1/no-such-route", ""), "token_missing");
}

// ---- What passes ----

TEST_F(AuthE2eTest, HealthAndReadyAnswerWithoutATokenOnBothListeners) {
  for (std::uint16_t port : {orderd_->port(), orderd_->admin_port()}) {
    for (const char* path : {"/health", "/ready"}) {
      EXPECT_EQ(get(port, path, "").status, 200u) << port << path;
      // A token there is not required, nor checked.
      EXPECT_EQ(get(port, path, "garbage").status, 200u) << port << path;
    }
  }
}

TEST_F(AuthE2eTest, AValidCustomerTokenReachesTheShop) {
  auto r = get(orderd_->port(), "/api/v1/products", sign(claims()));
  EXPECT_EQ(r.status, 200u) << r.body;
  // Any case of the scheme's name.
  HttpClient client(orderd_->port());
  r = client.request("GET", "/api/v1/products", "",
                     {{"authorization", "bEARER " + sign(claims())}});
  EXPECT_EQ(r.status, 200u) << r.body;
}

TEST_F(AuthE2eTest, TheAdminListenerWantsAnAdmin) {
  expect_restate_refused(get(orderd_->admin_port(), "/invocations", ""), true);
  // The role check's 403 (Restate family here: no stable code in the body).
  auto customer = get(orderd_->admin_port(), "/invocations", sign(claims("100", {"customer"})));
  EXPECT_EQ(customer.status, 403u) << customer.body;
  EXPECT_TRUE(contains(customer.body, "roles")) << customer.body;
  auto service = get(orderd_->admin_port(), "/invocations", sign(claims("billing", {"service"})));
  EXPECT_EQ(service.status, 403u) << service.body;
  auto admin = get(orderd_->admin_port(), "/invocations", sign(claims("ops", {"admin"})));
  EXPECT_EQ(admin.status, 200u) << admin.body;
}

TEST_F(AuthE2eTest, ACustomerIsRefusedTheCatalogsWritesWithInsufficientRole) {
  HttpClient client(orderd_->port());
  const std::string product = R"({"name":"x","sku":"DEMO-0001","unit_price":0,"currency":"USD"})";
  auto customer = client.request("PUT", "/api/v1/products/1", product,
                                 {{"authorization", "Bearer " + sign(claims())}});
  EXPECT_EQ(customer.status, 403u) << customer.body;
  auto body = object_of(customer.body);
  ASSERT_TRUE(body) << customer.body;
  EXPECT_EQ(string_at(*body, "code"), "insufficient_role") << customer.body;
  // Nothing changed: the product keeps its price.
  auto after = get(orderd_->port(), "/api/v1/products/1", sign(claims()));
  EXPECT_EQ(after.status, 200u) << after.body;
  EXPECT_TRUE(contains(after.body, "\"unit_price\":")) << after.body;
  EXPECT_FALSE(contains(after.body, R"("unit_price":0)")) << after.body;
}

// ---- orderctl ----

std::string run(const std::string& command, int& status) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  status = WEXITSTATUS(::pclose(pipe));
  return out;
}

std::string orderctl_token(const std::string& secret_file, const std::string& args) {
  int status = -1;
  std::string out = run(std::string(ORDERCTL_BINARY) + " token --secret-file " + secret_file +
                            " --issuer " + kIssuer + " --audience " + kAudience + " " + args,
                        status);
  EXPECT_EQ(status, 0) << out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST_F(AuthE2eTest, OrderctlsTokensAreAcceptedAndItsTokenFlagIsSent) {
  const std::string customer = orderctl_token(secret_file_, "--sub 100 --role customer --ttl 5m");
  EXPECT_EQ(get(orderd_->port(), "/api/v1/products", customer).status, 200u) << customer;
  const std::string admin = orderctl_token(secret_file_, "--sub ops --role admin");
  const std::string url = " --admin http://127.0.0.1:" + std::to_string(orderd_->admin_port());
  int status = -1;
  std::string out = run(std::string(ORDERCTL_BINARY) + url + " invocations ls", status);
  EXPECT_NE(status, 0) << out;
  EXPECT_TRUE(contains(out, "401") && contains(out, "Bearer")) << out;
  out = run(std::string(ORDERCTL_BINARY) + url + " --token " + admin + " invocations ls", status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_TRUE(contains(out, "ID") && contains(out, "STATUS")) << out;
  out = run("ORDERD_TOKEN=" + admin + " " + ORDERCTL_BINARY + url + " invocations ls", status);
  EXPECT_EQ(status, 0) << out;
  out =
      run(std::string(ORDERCTL_BINARY) + url + " --token " + customer + " invocations ls", status);
  EXPECT_NE(status, 0) << out;
  EXPECT_TRUE(contains(out, "403")) << out;
}

TEST_F(AuthE2eTest, OrderctlRefusesAShortSecretAndAnUnknownRole) {
  const std::string short_secret = write_file(dir_->path() / "short", "too-short\n");
  int status = -1;
  std::string out = run(std::string(ORDERCTL_BINARY) + " token --secret-file " + short_secret +
                            " --sub 1 --role customer",
                        status);
  EXPECT_EQ(status, 2) << out;
  EXPECT_TRUE(contains(out, "32")) << out;
  out = run(std::string(ORDERCTL_BINARY) + " token --secret-file " + secret_file_ +
                " --sub 1 --role superuser",
            status);
  EXPECT_EQ(status, 2) << out;
  EXPECT_TRUE(contains(out, "superuser")) << out;
}

// ---- A public key ----

// The classic confusion, against a server given the RSA public key: the forger knows the PEM
// (it is public) and HMACs with it as the secret.
TEST(AuthPublicKeyE2eTest, Hs256SignedWithTheRsaPublicKeyPemIsRefused) {
  TempDir dir;
  const TestKey rsa = rsa_test_key();
  const std::string pem_file = write_file(dir.path() / "public.pem", rsa.public_pem);
  OrderdProcess orderd((dir.path() / "data").string(), {"--jwt-public-key-file", pem_file});
  const std::string forged = sign(claims("ops", {"admin"}), rsa.public_pem);
  expect_refused(get(orderd.port(), "/api/v1/orders", forged), "token_algorithm_not_allowed",
                 forged);
  expect_restate_refused(get(orderd.admin_port(), "/invocations", forged), false);
  // The same claims, signed as the key allows, pass: the refusal was the algorithm's.
  const std::string genuine = auth::sign_jwt(R"({"alg":"RS256","typ":"JWT"})",
                                             boost::json::serialize(claims("ops", {"admin"})),
                                             JwtAlgorithm::kRS256, rsa.private_pem);
  EXPECT_EQ(get(orderd.admin_port(), "/invocations", genuine).status, 200u);
}

// ---- Starting ----

struct Started {
  int exit_status = -1;    // when it exited on its own
  bool listening = false;  // when it printed its "listening" line (then it was killed)
  std::string output;
};

// Runs `orderd serve` with `args` until it either says it listens or exits.
Started start_orderd(const std::vector<std::string>& args) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> argv_text{ORDERD_BINARY, "serve"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  ::close(out[1]);
  Started started;
  FILE* stream = ::fdopen(out[0], "r");
  char line[1024];
  while (std::fgets(line, sizeof line, stream)) {
    started.output += line;
    if (std::string(line).rfind("orderd listening on", 0) == 0) {
      started.listening = true;
      break;
    }
  }
  std::fclose(stream);
  if (started.listening) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!started.listening && WIFEXITED(status)) started.exit_status = WEXITSTATUS(status);
  return started;
}

TEST(AuthStartupE2eTest, AnOpenOrderdRefusesANonLoopbackAddressUnlessToldInsecureOpen) {
  TempDir dir;
  const std::vector<std::string> common{"--admin-listen", "127.0.0.1:0", "--data",
                                        (dir.path() / "data").string()};
  std::vector<std::string> args{"--listen", "0.0.0.0:0"};
  args.insert(args.end(), common.begin(), common.end());
  Started refused = start_orderd(args);
  EXPECT_FALSE(refused.listening) << refused.output;
  EXPECT_EQ(refused.exit_status, 2) << refused.output;
  EXPECT_TRUE(contains(refused.output, "--insecure-open")) << refused.output;

  args.push_back("--insecure-open");
  Started open = start_orderd(args);
  EXPECT_TRUE(open.listening) << open.output;
}

TEST(AuthStartupE2eTest, AKeyThatCannotBeTrustedStopsOrderdAtStartup) {
  TempDir dir;
  const std::string data = (dir.path() / "data").string();
  const std::string short_secret = write_file(dir.path() / "short", "short\n");
  Started s = start_orderd({"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data",
                            data, "--jwt-hs256-secret-file", short_secret});
  EXPECT_EQ(s.exit_status, 2) << s.output;
  EXPECT_TRUE(contains(s.output, "--jwt-hs256-secret-file " + short_secret)) << s.output;
  const std::string jwks =
      write_file(dir.path() / "jwks.json", R"({"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0"}]})");
  s = start_orderd({"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data", data,
                    "--jwt-jwks-file", jwks});
  EXPECT_EQ(s.exit_status, 2) << s.output;
  EXPECT_TRUE(contains(s.output, "oct")) << s.output;
  // And a token-guarded orderd may listen anywhere.
  const std::string secret = write_file(dir.path() / "secret", kSecret);
  s = start_orderd({"--listen", "0.0.0.0:0", "--admin-listen", "127.0.0.1:0", "--data", data,
                    "--jwt-hs256-secret-file", secret});
  EXPECT_TRUE(s.listening) << s.output;
}

}  // namespace
}  // namespace orderd::testing
