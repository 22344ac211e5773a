// End to end against the real orderd binary: the seed's timings, and bad requests answered with
// JSON errors that name what is wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

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

// The seed's latency, no simulated failures: timings are the engine's alone.
class SeedTimingTest : public ::testing::Test {
 protected:
  TempDir dir;
  OrderdProcess orderd{dir.path().string(), {"--latency-scale", "1", "--failure-scale", "0"}};
  HttpClient client{orderd.port()};
};

TEST_F(SeedTimingTest, ParallelOrderOverlapsItsCalls) {
  std::vector<std::chrono::milliseconds> times;
  for (int i = 0; i < 5; ++i) {
    auto r = client.post("/OrderService/ProcessOrder", kOrder);
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.restate_id.rfind("inv_", 0), 0u);
    auto o = parse_object(r.body);
    for (const char* field : {"orderId", "status", "processingTimeMs", "details"})
      EXPECT_TRUE(o.contains(field)) << field << " missing in " << r.body;
    EXPECT_GE(r.elapsed, 150ms);  // the slowest call, fraud, takes 150 ms
    times.push_back(r.elapsed);
  }
  std::sort(times.begin(), times.end());
  // The six calls overlap: well under the 450 ms the sequential version needs.
  EXPECT_LT(times[2], 300ms);
}

TEST_F(SeedTimingTest, SequentialOrderTakesTheSumOfItsCalls) {
  // Only a confirmed order ran all four calls; an early exit is shorter by design.
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto r = client.post("/OrderServiceSlow/ProcessOrder", kOrder);
    ASSERT_EQ(r.status, 200u) << r.body;
    auto o = parse_object(r.body);
    if (o["status"] != "confirmed") continue;
    EXPECT_GE(r.elapsed, 450ms);
    EXPECT_EQ(o["orderId"].as_string().subview(0, 4), "ORD_");
    EXPECT_EQ(o["details"].as_string().subview(0, 11), "Shipping: $");
    return;
  }
  FAIL() << "no order was confirmed in 20 attempts";
}

TEST_F(SeedTimingTest, SendAnswersAcceptedAndAttachWaitsForTheResult) {
  auto sent = client.post("/OrderService/ProcessOrder/send", kOrder);
  ASSERT_EQ(sent.status, 202u) << sent.body;
  auto body = parse_object(sent.body);
  EXPECT_EQ(body["status"], "Accepted");
  std::string id(body["invocationId"].as_string());
  EXPECT_EQ(sent.restate_id, id);

  auto attached = client.get("/restate/invocation/" + id + "/attach");
  ASSERT_EQ(attached.status, 200u) << attached.body;
  EXPECT_TRUE(parse_object(attached.body).contains("orderId"));
  auto output = client.get("/restate/invocation/" + id + "/output");
  EXPECT_EQ(output.status, 200u);
  EXPECT_EQ(output.body, attached.body);
}

class BadRequestTest : public ::testing::Test {
 protected:
  TempDir dir;
  OrderdProcess orderd{
      dir.path().string(),
      {"--latency-scale", "0", "--failure-scale", "0", "--max-body-bytes", "1024"}};
  HttpClient client{orderd.port()};

  void expect_error(const HttpResult& r, unsigned status, const std::string& mentions) {
    EXPECT_EQ(r.status, status) << r.body;
    auto o = parse_object(r.body);
    EXPECT_EQ(o["code"].as_int64(), status);
    EXPECT_NE(std::string(o["message"].as_string()).find(mentions), std::string::npos)
        << r.body << " does not mention " << mentions;
  }
};

TEST_F(BadRequestTest, MissingOrMistypedFieldsAreNamed) {
  expect_error(client.post("/OrderService/ProcessOrder", R"({"userId":"u"})"), 400, "productId");
  auto wrong_type = boost::json::parse(kOrder).as_object();
  wrong_type["quantity"] = "two";
  expect_error(client.post("/OrderService/ProcessOrder", boost::json::serialize(wrong_type)), 400,
               "'quantity' must be an integer");
  wrong_type["quantity"] = 0;
  expect_error(client.post("/OrderService/ProcessOrder", boost::json::serialize(wrong_type)), 400,
               "quantity");
  expect_error(client.post("/OrderService/ProcessOrder", "[1,2]"), 400, "body");
}

TEST_F(BadRequestTest, MalformedJsonIsA400) {
  expect_error(client.post("/OrderService/ProcessOrder", R"({"userId": )"), 400, "malformed JSON");
}

TEST_F(BadRequestTest, UnknownServiceOrHandlerIsA404) {
  expect_error(client.post("/NoSuchService/Run", "{}"), 404, "NoSuchService");
  expect_error(client.post("/OrderService/NoSuchHandler", "{}"), 404, "NoSuchHandler");
  expect_error(client.get("/restate/invocation/inv_unknown/output"), 404, "invocation not found");
}

TEST_F(BadRequestTest, WrongMethodAndDelayOnACallAreRefused) {
  expect_error(client.get("/OrderService/ProcessOrder"), 405, "POST");
  expect_error(client.post("/OrderService/ProcessOrder?delay=10s", kOrder), 400, "only with sends");
}

TEST_F(BadRequestTest, OversizedBodyIsA413) {
  std::string big = R"({"userId":")" + std::string(2000, 'x') + R"("})";
  expect_error(client.post("/OrderService/ProcessOrder", big), 413, "too large");
  // The server stays healthy for the next client.
  HttpClient other(orderd.port());
  EXPECT_EQ(other.get("/health").status, 200u);
}

TEST_F(BadRequestTest, NothingIsWrittenForARefusedRequest) {
  client.post("/OrderService/ProcessOrder", R"({"userId":"u"})");
  client.post("/OrderService/ProcessOrder", "{not json");
  client.post("/OrderService/NoSuchHandler", kOrder);
  ASSERT_EQ(client.post("/OrderService/ProcessOrder", kOrder).status, 200u);
  orderd.terminate();

  EXPECT_EQ(query_int(dir.path() / "orderd.db",
                      "SELECT count(*) FROM invocations WHERE parent_id IS NULL"),
            1);  // only the valid order
}

}  // namespace
}  // namespace orderd::testing
