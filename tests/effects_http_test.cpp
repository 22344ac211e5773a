// A step that calls a slow outside system does not stall other orders: against the real binary,
// two calls whose effects each block a worker until the other arrives both finish, and /health
// answers while the first one blocks. Gateway/charge is a test-only service (orderd-chaos).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <future>

#include "client/http_client.hpp"
#include "support/orderd_process.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using client::HttpClient;
using client::HttpResult;
using Clock = std::chrono::steady_clock;

std::int64_t blocked_now(HttpClient& client) {
  auto r = client.post("/Gateway/blocked", R"({"value":0})");
  if (r.status != 200) return -1;
  return boost::json::parse(r.body).as_object().at("value").as_int64();
}

TEST(EffectsHttpTest, TwoOrdersBlockingStepsOverlapWhileHealthAnswers) {
  TempDir dir;
  OrderdProcess orderd(dir.path().string(), {"--workers", "4"}, ORDERD_CHAOS_BINARY);
  const auto port = orderd.port();
  auto charge = [port](int amount) {
    HttpClient client(port);
    return client.post("/Gateway/charge", "{\"value\":" + std::to_string(amount) + "}");
  };
  auto first = std::async(std::launch::async, charge, 5);
  HttpClient probe(port);
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (blocked_now(probe) < 1 && Clock::now() < deadline) {
  }
  ASSERT_EQ(blocked_now(probe), 1) << "the first charge never reached the gateway";
  // The engine thread is free while a worker waits on the gateway.
  auto health = probe.get("/health");
  EXPECT_EQ(health.status, 200u) << health.body;
  auto second = std::async(std::launch::async, charge, 7);
  HttpResult a = first.get();
  HttpResult b = second.get();
  EXPECT_EQ(a.status, 200u) << a.body;
  EXPECT_EQ(a.body, R"({"value":5})") << "the first charge did not meet the second";
  EXPECT_EQ(b.body, R"({"value":7})");
}

}  // namespace
}  // namespace orderd::testing
