// Workflows over HTTP, against the real binary: the OrderReview workflow runs once per order,
// waits across a kill -9 for a reviewer's decision, and answers by workflow id.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <functional>

#include "client/http_client.hpp"
#include "support/fixtures.hpp"
#include "support/orderd_process.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using client::HttpClient;
using client::HttpResult;

const std::string kRisky = R"({"customerId":"c-1","amount":2500,"riskScore":85})";
const std::string kDecision = R"({"approved":true,"reviewer":"alice","note":"known customer"})";

// Polls `path` until `accept` holds for its answer, for up to 10 s: the condition is a state the
// server reaches on its own, with no event the client could wait on instead.
HttpResult poll_until(HttpClient& client, const std::string& method, const std::string& path,
                      const std::function<bool(const HttpResult&)>& accept) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  HttpResult r;
  do {
    r = client.request(method, path, method == "POST" ? "{}" : "");
  } while (!accept(r) && std::chrono::steady_clock::now() < deadline);
  return r;
}

TEST(WorkflowHttpTest, ReviewRunsOnceWaitsAcrossACrashAndAnswersByWorkflowId) {
  TempDir dir;
  std::string run_id;
  {
    OrderdProcess orderd(dir.path().string());
    HttpClient client(orderd.port());
    auto sent = client.post("/OrderReview/o-1/run/send", kRisky);
    ASSERT_EQ(sent.status, 202u) << sent.body;
    EXPECT_EQ(parse_object(sent.body)["status"], "Accepted");
    run_id = sent.restate_id;

    auto resent = client.post("/OrderReview/o-1/run/send", kRisky);
    ASSERT_EQ(resent.status, 202u) << resent.body;
    EXPECT_EQ(parse_object(resent.body)["status"], "PreviouslyAccepted");
    EXPECT_EQ(resent.restate_id, run_id);

    auto called = client.post("/OrderReview/o-1/run", kRisky);
    EXPECT_EQ(called.status, 409u);
    EXPECT_NE(called.body.find("the workflow method was already invoked"), std::string::npos)
        << called.body;
    EXPECT_NE(called.body.find("OrderReview"), std::string::npos) << called.body;
    EXPECT_EQ(called.restate_id, run_id);

    auto keyed = client.post("/OrderReview/o-9/run", kRisky, {{"idempotency-key", "k"}});
    EXPECT_EQ(keyed.status, 400u) << keyed.body;

    auto pending = poll_until(client, "POST", "/OrderReview/o-1/status", [](const HttpResult& r) {
      return r.body.find("\"pending\"") != std::string::npos;
    });
    EXPECT_EQ(pending.status, 200u) << pending.body;
    EXPECT_NE(pending.body.find("\"pending\""), std::string::npos) << pending.body;
    EXPECT_EQ(client.get("/restate/workflow/OrderReview/o-1/output").status, 470u);
    orderd.kill_hard();
  }

  OrderdProcess orderd(dir.path().string());
  HttpClient client(orderd.port());
  auto decided = client.post("/OrderReview/o-1/decide", kDecision);
  ASSERT_EQ(decided.status, 200u) << decided.body;

  auto attached = client.get("/restate/workflow/OrderReview/o-1/attach");
  ASSERT_EQ(attached.status, 200u) << attached.body;
  EXPECT_EQ(attached.restate_id, run_id);
  auto result = parse_object(attached.body);
  EXPECT_EQ(result["orderId"], "o-1");
  EXPECT_EQ(result["status"], "approved");
  EXPECT_EQ(result["reviewer"], "alice");
  EXPECT_EQ(client.get("/restate/workflow/OrderReview/o-1/output").body, attached.body);

  auto twice = client.post("/OrderReview/o-1/decide", R"({"approved":false,"reviewer":"bob"})");
  EXPECT_EQ(twice.status, 409u);
  EXPECT_NE(twice.body.find("already decided"), std::string::npos) << twice.body;
  auto status = client.post("/OrderReview/o-1/status", "");
  EXPECT_NE(status.body.find("\"approved\""), std::string::npos) << status.body;

  EXPECT_EQ(client.get("/restate/workflow/OrderReview/unknown/output").status, 404u);
  EXPECT_EQ(client.get("/restate/workflow/NoSuchFlow/o-1/output").status, 404u);
  EXPECT_EQ(client.post("/restate/workflow/OrderReview/o-1/output", "").status, 405u);
}

TEST(WorkflowHttpTest, LowRiskIsApprovedAtOnceAndATimeoutRejects) {
  TempDir dir;
  OrderdProcess orderd(dir.path().string());
  HttpClient client(orderd.port());
  auto safe =
      client.post("/OrderReview/o-2/run", R"({"customerId":"c","amount":20,"riskScore":5})");
  ASSERT_EQ(safe.status, 200u) << safe.body;
  EXPECT_EQ(parse_object(safe.body)["reviewer"], "auto");

  auto slow = client.post("/OrderReview/o-3/run",
                          R"({"customerId":"c","amount":900,"riskScore":90,"timeoutSeconds":1})");
  ASSERT_EQ(slow.status, 200u) << slow.body;
  EXPECT_EQ(parse_object(slow.body)["status"], "timed-out");
  auto late = client.post("/OrderReview/o-3/decide", R"({"approved":true,"reviewer":"late"})");
  EXPECT_EQ(late.status, 409u) << late.body;
  auto status = client.post("/OrderReview/o-3/status", "");
  EXPECT_EQ(parse_object(status.body)["status"], "timed-out") << status.body;
  EXPECT_EQ(parse_object(status.body)["approved"], false) << status.body;

  auto bad =
      client.post("/OrderReview/o-4/run", R"({"customerId":"c","amount":1,"riskScore":101})");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("riskScore"), std::string::npos) << bad.body;
}

}  // namespace
}  // namespace orderd::testing
