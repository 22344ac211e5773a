// Issue 15, part 6: "a hoarder stopped by its quota while others still reserve", on the real
// binary with JWT authentication (--jwt-hs256-secret-file) and --quota-reservations 3
// --quota-reserved-units 10. Customer 100 reserves until refused (429 quota_reservations), and
// a basket past its units is refused (429 quota_reserved_units), while customer 200 reserves the
// same product; releasing one of the hoarder's lets it reserve again; an admin has no quota.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "auth/jwt_signer.hpp"
#include "client/http_client.hpp"
#include "support/json_fields.hpp"
#include "support/orderd_process.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using client::Headers;
using client::HttpClient;
using client::HttpResult;

const std::string kSecret = "quota-e2e-secret-of-more-than-32-bytes!";

std::string token(const std::string& sub, const std::string& role) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  boost::json::object claims{
      {"sub", sub}, {"roles", boost::json::array{boost::json::value(role)}}, {"exp", now + 3600}};
  return auth::mint_hs256(claims, kSecret);
}

class QuotaE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto secret_file = dir_.path() / "jwt.secret";
    std::ofstream(secret_file) << kSecret;
    orderd_ = std::make_unique<OrderdProcess>(
        (dir_.path() / "data").string(),
        std::vector<std::string>{"--jwt-hs256-secret-file", secret_file.string(),
                                 "--quota-reservations", "3", "--quota-reserved-units", "10",
                                 "--latency-scale", "0", "--failure-scale", "0"});
  }

  HttpResult send(const std::string& bearer, const std::string& method, const std::string& path,
                  const std::string& body = "") {
    HttpClient client(orderd_->port());
    Headers headers;
    if (!bearer.empty()) headers.emplace_back("authorization", "Bearer " + bearer);
    return client.request(method, path, body, headers);
  }
  // POST /api/v1/reservations of `units` of product 1 for user `user`.
  HttpResult reserve(const std::string& bearer, const std::string& user, std::int64_t units) {
    boost::json::object body{
        {"user_id", std::stoll(user)},
        {"items", boost::json::array{boost::json::object{{"product_id", 1}, {"quantity", units}}}},
        {"ttl_seconds", 600}};
    return send(bearer, "POST", "/api/v1/reservations", boost::json::serialize(body));
  }
  static std::string id_of(const HttpResult& r) {
    auto o = object_of(r.body);
    return o ? string_at(*o, "id") : "";
  }
  static void expect_quota(const HttpResult& r, const std::string& code) {
    EXPECT_EQ(r.status, 429u) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
    auto problem = object_of(r.body);
    ASSERT_TRUE(problem) << r.body;
    EXPECT_EQ(string_at(*problem, "code"), code) << r.body;
    EXPECT_FALSE(r.header("retry-after").empty()) << r.body;
  }

  TempDir dir_;
  std::unique_ptr<OrderdProcess> orderd_;
};

TEST_F(QuotaE2eTest, AHoarderIsStoppedByItsQuotaWhileOthersStillReserve) {
  // Authentication is on: without it nobody has a principal, and no quota could apply.
  ASSERT_EQ(send("", "GET", "/api/v1/products/1").status, 401u)
      << "authentication is off: no caller has a principal, so no quota can apply";
  const std::string hoarder = token("100", "customer");
  const std::string other = token("200", "customer");

  // One basket past the units quota, refused before anything is held.
  expect_quota(reserve(hoarder, "100", 11), "quota_reserved_units");

  std::vector<std::string> held;
  for (int i = 0; i < 3; ++i) {
    auto r = reserve(hoarder, "100", 2);
    ASSERT_EQ(r.status, 201u) << r.body;
    held.push_back(id_of(r));
  }
  for (int i = 0; i < 3; ++i) expect_quota(reserve(hoarder, "100", 1), "quota_reservations");

  // Another customer still reserves the same product.
  for (int i = 0; i < 2; ++i) {
    auto r = reserve(other, "200", 2);
    EXPECT_EQ(r.status, 201u) << r.body;
  }

  // The hoarder releases one: room for one more, within 10 units (4 held + 5).
  auto released = send(hoarder, "POST", "/api/v1/reservations/" + held[0] + "/release");
  ASSERT_EQ(released.status, 200u) << released.body;
  auto again = reserve(hoarder, "100", 5);
  EXPECT_EQ(again.status, 201u) << again.body;
  expect_quota(reserve(hoarder, "100", 1), "quota_reservations");
  // Units: 9 held; after one more release (7 held), 4 more would be 11.
  ASSERT_EQ(send(hoarder, "POST", "/api/v1/reservations/" + held[1] + "/release").status, 200u);
  expect_quota(reserve(hoarder, "100", 4), "quota_reserved_units");
  EXPECT_EQ(reserve(hoarder, "100", 3).status, 201u);

  // An admin has no quota.
  const std::string admin = token("1", "admin");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(reserve(admin, "1", 5).status, 201u);

  // The stock shows what is held: 10 for the hoarder, 4 for the other, 20 for the admin.
  auto product = send(admin, "GET", "/api/v1/products/1");
  ASSERT_EQ(product.status, 200u) << product.body;
  auto view = object_of(product.body);
  ASSERT_TRUE(view) << product.body;
  EXPECT_EQ(int_at(object_at(*view, "stock"), "reserved"), 34) << product.body;
}

}  // namespace
}  // namespace orderd::testing
