// Restate's ingress conventions beyond a plain call: idempotency keys, delayed sends, lookups by
// key, and backpressure; the router's families and request ids. Against the real binary.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "client/http_client.hpp"
#include "support/fixtures.hpp"
#include "support/orderd_process.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using client::HttpClient;
using client::HttpResult;

using namespace std::chrono_literals;

const std::string& kOrder = kSeedOrder;
const std::string kOtherOrder =
    R"({"userId":"user999","productId":"prod456","quantity":1,"amount":5,"weight":1,"destination":"Oslo"})";

class IngressTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::vector<std::string> args{"--latency-scale", "0.2", "--failure-scale", "0"};
};

TEST_F(IngressTest, RepeatedCallWithAnIdempotencyKeyReturnsTheStoredResult) {
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  auto first = client.post("/OrderService/ProcessOrder", kOrder, {{"idempotency-key", "order-1"}});
  ASSERT_EQ(first.status, 200u) << first.body;
  EXPECT_FALSE(first.header("idempotency-expires").empty());

  // Different spacing, same JSON: the same request.
  std::string respaced = boost::json::serialize(boost::json::parse(kOrder));
  auto again =
      client.post("/OrderService/ProcessOrder", respaced, {{"Idempotency-Key", "order-1"}});
  ASSERT_EQ(again.status, 200u) << again.body;
  EXPECT_EQ(again.body, first.body);  // same orderId: the handler did not run again
  EXPECT_EQ(again.restate_id, first.restate_id);
  EXPECT_EQ(again.header("idempotency-expires"), first.header("idempotency-expires"));

  auto by_key = client.get("/restate/invocation/OrderService/ProcessOrder/order-1/output");
  EXPECT_EQ(by_key.status, 200u);
  EXPECT_EQ(by_key.body, first.body);
  EXPECT_EQ(client.get("/restate/invocation/OrderService/ProcessOrder/nope/output").status, 404u);
}

TEST_F(IngressTest, SameKeyWithADifferentBodyIsA422) {
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  ASSERT_EQ(client.post("/OrderService/ProcessOrder", kOrder, {{"idempotency-key", "k"}}).status,
            200u);
  auto reused = client.post("/OrderService/ProcessOrder", kOtherOrder, {{"idempotency-key", "k"}});
  EXPECT_EQ(reused.status, 422u);
  EXPECT_NE(reused.body.find("different request body"), std::string::npos) << reused.body;
  // The key is scoped to its target: the slow service may use it freely.
  EXPECT_EQ(
      client.post("/OrderServiceSlow/ProcessOrder", kOtherOrder, {{"idempotency-key", "k"}}).status,
      200u);
}

TEST_F(IngressTest, ConcurrentDuplicatesRunOnce) {
  OrderdProcess orderd(dir.path().string(), args);
  constexpr int kClients = 8;
  std::vector<std::future<HttpResult>> calls;
  for (int i = 0; i < kClients; ++i) {
    calls.push_back(std::async(std::launch::async, [port = orderd.port()] {
      HttpClient client(port);
      return client.post("/OrderService/ProcessOrder", kOrder, {{"idempotency-key", "race"}});
    }));
  }
  std::set<std::string> bodies, ids;
  for (auto& call : calls) {
    auto r = call.get();
    ASSERT_EQ(r.status, 200u) << r.body;
    bodies.insert(r.body);
    ids.insert(r.restate_id);
  }
  EXPECT_EQ(bodies.size(), 1u);
  EXPECT_EQ(ids.size(), 1u);
  orderd.terminate();
  EXPECT_EQ(query_int(dir.path() / "orderd.db",
                      "SELECT count(*) FROM invocations WHERE parent_id IS NULL"),
            1);
}

TEST_F(IngressTest, DuplicateSendIsPreviouslyAccepted) {
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  auto first = client.post("/OrderService/ProcessOrder/send", kOrder, {{"idempotency-key", "s"}});
  ASSERT_EQ(first.status, 202u) << first.body;
  EXPECT_EQ(parse_object(first.body)["status"], "Accepted");
  auto second = client.post("/OrderService/ProcessOrder/send", kOrder, {{"idempotency-key", "s"}});
  ASSERT_EQ(second.status, 202u) << second.body;
  auto body = parse_object(second.body);
  EXPECT_EQ(body["status"], "PreviouslyAccepted");
  EXPECT_EQ(body["invocationId"].as_string(), first.restate_id);
  auto attached = client.get("/restate/invocation/OrderService/ProcessOrder/s/attach");
  EXPECT_EQ(attached.status, 200u) << attached.body;
}

TEST_F(IngressTest, ExpiredKeyStartsANewInvocation) {
  args.insert(args.end(), {"--idempotency-retention", "200ms"});
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  auto first = client.post("/OrderService/ProcessOrder", kOrder, {{"idempotency-key", "short"}});
  ASSERT_EQ(first.status, 200u);
  std::this_thread::sleep_for(300ms);  // the retention runs out: nothing else to wait for
  auto later = client.post("/OrderService/ProcessOrder", kOrder, {{"idempotency-key", "short"}});
  ASSERT_EQ(later.status, 200u);
  EXPECT_NE(later.restate_id, first.restate_id);
}

TEST_F(IngressTest, DelayedSendRunsLaterAndSurvivesACrash) {
  auto sent_at = std::chrono::steady_clock::now();
  std::string id;
  {
    OrderdProcess orderd(dir.path().string(), args);
    HttpClient client(orderd.port());
    auto sent = client.post("/OrderService/ProcessOrder/send?delay=PT0.8S", kOrder);
    ASSERT_EQ(sent.status, 202u) << sent.body;
    auto body = parse_object(sent.body);
    EXPECT_TRUE(body.contains("executionTime")) << sent.body;
    id = std::string(body["invocationId"].as_string());
    EXPECT_EQ(client.get("/restate/invocation/" + id + "/output").status, 470u);
    orderd.kill_hard();  // before it was due
  }
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  auto result = client.get("/restate/invocation/" + id + "/attach");
  ASSERT_EQ(result.status, 200u) << result.body;
  EXPECT_GE(std::chrono::steady_clock::now() - sent_at, 800ms);
  EXPECT_TRUE(parse_object(result.body).contains("orderId"));
}

TEST_F(IngressTest, SigtermStopsCleanlyAndARestartResumes) {
  std::vector<std::string> ids;
  {
    OrderdProcess orderd(dir.path().string(), {"--latency-scale", "1", "--failure-scale", "0"});
    HttpClient client(orderd.port());
    for (int i = 0; i < 10; ++i) {
      auto sent = client.post("/OrderService/ProcessOrder/send", kOrder);
      ASSERT_EQ(sent.status, 202u);
      ids.push_back(sent.restate_id);
    }
    EXPECT_EQ(orderd.terminate(), 0);  // SIGTERM with orders in flight: a clean exit
  }
  OrderdProcess orderd(dir.path().string(), {"--latency-scale", "1", "--failure-scale", "0"});
  HttpClient client(orderd.port());
  for (const auto& id : ids) {
    auto r = client.get("/restate/invocation/" + id + "/attach");
    EXPECT_EQ(r.status, 200u) << id << ": " << r.body;
  }
}

// Graceful shutdown: a call in flight when SIGTERM arrives still gets its real answer. An idle
// kept-alive connection is closed at once instead of holding the shutdown up for the grace.
TEST_F(IngressTest, SigtermLetsAnInFlightCallFinish) {
  OrderdProcess orderd(dir.path().string(), {"--latency-scale", "2", "--failure-scale", "0"});
  HttpClient admin(orderd.admin_port());
  HttpClient other(orderd.port());
  ASSERT_EQ(other.get("/health").status, 200u);  // now idle
  auto call = std::async(std::launch::async, [&] {
    HttpClient client(orderd.port());
    return client.post("/OrderService/ProcessOrder", kOrder);
  });
  // Wait until the order is running, then stop orderd under it.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (admin.get("/invocations?status=running").body.find("inv_") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
  }
  auto stopped = std::async(std::launch::async, [&] { return orderd.terminate(); });
  auto answer = call.get();
  EXPECT_EQ(answer.status, 200u) << answer.body;
  EXPECT_TRUE(parse_object(answer.body).contains("orderId")) << answer.body;
  EXPECT_EQ(stopped.get(), 0);
}

// Past the grace period, a caller still waiting is answered 503 with the invocation's id, and
// the invocation resumes after the restart.
TEST_F(IngressTest, SigtermAnswersLongWaitsWith503AndTheyResume) {
  const std::string risky = R"({"customerId":"c","amount":900,"riskScore":90})";
  std::vector<std::string> grace{"--shutdown-grace", "300ms"};
  std::string run_id;
  {
    OrderdProcess orderd(dir.path().string(), grace);
    auto call = std::async(std::launch::async, [&] {
      HttpClient client(orderd.port());
      return client.post("/OrderReview/o-7/run", risky);
    });
    HttpClient client(orderd.port());
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (client.post("/OrderReview/o-7/status", "").body.find("pending") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
    }
    EXPECT_EQ(orderd.terminate(), 0);
    auto answer = call.get();
    EXPECT_EQ(answer.status, 503u) << answer.body;
    EXPECT_NE(answer.body.find("shutting down"), std::string::npos) << answer.body;
    run_id = answer.restate_id;
    EXPECT_FALSE(run_id.empty());
  }
  OrderdProcess orderd(dir.path().string(), grace);
  HttpClient client(orderd.port());
  ASSERT_EQ(client.post("/OrderReview/o-7/decide", R"({"approved":false,"reviewer":"bo"})").status,
            200u);
  auto result = client.get("/restate/invocation/" + run_id + "/attach");
  ASSERT_EQ(result.status, 200u) << result.body;
  EXPECT_EQ(parse_object(result.body)["status"], "rejected");
}

TEST_F(IngressTest, BadDelaysAndKeysAre400s) {
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  auto bad_delay = client.post("/OrderService/ProcessOrder/send?delay=soon", kOrder);
  EXPECT_EQ(bad_delay.status, 400u);
  EXPECT_NE(bad_delay.body.find("soon"), std::string::npos);
  auto long_key = client.post("/OrderService/ProcessOrder", kOrder,
                              {{"idempotency-key", std::string(300, 'k')}});
  EXPECT_EQ(long_key.status, 400u);
  EXPECT_NE(long_key.body.find("idempotency-key"), std::string::npos);
}

TEST_F(IngressTest, OverloadIsA503WithRetryAfter) {
  args = {"--latency-scale", "1", "--failure-scale", "0", "--max-inflight", "1"};
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  ASSERT_EQ(client.post("/OrderService/ProcessOrder/send", kOrder).status, 202u);
  // The first order runs (it waits on its six calls, which is work in progress): the engine is
  // full.
  auto refused = client.post("/OrderService/ProcessOrder/send", kOrder);
  EXPECT_EQ(refused.status, 503u) << refused.body;
  EXPECT_EQ(refused.header("retry-after"), "1");
}

TEST_F(IngressTest, ParkedInvocationsDoNotCountAgainstMaxInflight) {
  // Orders under review wait for a decision (a durable promise) for as long as it takes: they
  // park, and the engine keeps taking new work however many wait.
  args = {"--max-inflight", "2", "--unload-after-ms", "50"};
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  const std::string risky = R"({"customerId":"c","amount":900,"riskScore":80})";
  for (int i = 0; i < 20; ++i) {
    auto started = client.post("/OrderReview/ord-" + std::to_string(i) + "/run/send", risky);
    ASSERT_EQ(started.status, 202u) << "order " << i << ": " << started.body;
  }
  auto decided = client.post("/OrderReview/ord-7/decide", R"({"approved":true,"reviewer":"al"})");
  ASSERT_EQ(decided.status, 200u) << decided.body;
  auto outcome = client.get("/restate/workflow/OrderReview/ord-7/attach");
  ASSERT_EQ(outcome.status, 200u) << outcome.body;
  EXPECT_NE(outcome.body.find("\"approved\""), std::string::npos) << outcome.body;
}

TEST_F(IngressTest, EveryAnswerNamesItsRequest) {
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  auto order = client.post("/OrderService/ProcessOrder", kOrder);
  ASSERT_EQ(order.status, 200u) << order.body;
  EXPECT_EQ(order.header("x-request-id").rfind("req_", 0), 0u);
  EXPECT_EQ(order.header("content-type"), "application/json");
  auto traced = client.post("/OrderService/ProcessOrder", kOrder, {{"X-Request-Id", "trace-42"}});
  EXPECT_EQ(traced.header("x-request-id"), "trace-42");
  HttpClient admin(orderd.admin_port());
  EXPECT_FALSE(admin.get("/invocations?limit=1").header("x-request-id").empty());
}

TEST_F(IngressTest, ApiPathsAreProblemsNeverServiceLookups) {
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  for (const char* target : {"/api/v1/nothing", "/api/v2/orders", "/api"}) {
    auto r = client.request("POST", target, "{}", {{"x-request-id", "rid-1"}});
    EXPECT_EQ(r.status, 404u) << target;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << target;
    auto problem = parse_object(r.body);
    EXPECT_EQ(problem["type"], "about:blank");
    EXPECT_EQ(problem["title"], "Not Found");
    EXPECT_EQ(problem["status"], 404);
    EXPECT_EQ(problem["code"], "not_found");
    EXPECT_EQ(problem["request_id"], "rid-1");
    EXPECT_EQ(r.header("x-request-id"), "rid-1");
  }
}

TEST_F(IngressTest, ATooLargeBodyIsRefusedInTheFamilyOfItsTarget) {
  args.insert(args.end(), {"--max-body-bytes", "1024"});
  OrderdProcess orderd(dir.path().string(), args);
  const std::string big(4096, 'x');
  {
    HttpClient client(orderd.port());  // the server closes the connection after a refusal
    auto api = client.post("/api/v1/orders", big, {{"x-request-id", "big-1"}});
    EXPECT_EQ(api.status, 413u);
    EXPECT_EQ(api.header("content-type"), "application/problem+json");
    auto problem = parse_object(api.body);
    EXPECT_EQ(problem["code"], "body_too_large");
    EXPECT_EQ(problem["status"], 413);
    EXPECT_EQ(problem["request_id"], "big-1");
    EXPECT_EQ(api.header("x-request-id"), "big-1");
  }
  {
    HttpClient client(orderd.port());
    auto restate = client.post("/OrderService/ProcessOrder", big);
    EXPECT_EQ(restate.status, 413u);
    EXPECT_EQ(restate.header("content-type"), "application/json");
    EXPECT_EQ(restate.body, R"({"code":413,"message":"request body too large"})");
  }
  HttpClient other(orderd.port());
  EXPECT_EQ(other.get("/health").status, 200u);
}

TEST_F(IngressTest, TheAccessLogIsAFlag) {
  args.insert(args.end(), {"--access-log", "on"});
  OrderdProcess orderd(dir.path().string(), args);
  HttpClient client(orderd.port());
  EXPECT_EQ(client.get("/health").status, 200u);
  EXPECT_THROW(OrderdProcess(dir.path().string(), {"--access-log", "loud"}), std::runtime_error);
}

}  // namespace
}  // namespace orderd::testing
