// The admin API and orderctl against the real binary: list, describe with the journal, and
// pause / resume / kill / purge of invocations in each state.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>

#include "client/http_client.hpp"
#include "support/fixtures.hpp"
#include "support/orderd_process.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using client::HttpClient;

const std::string& kOrder = kSeedOrder;

// Runs orderctl against `admin_port`; returns its stdout and sets `status` to its exit code.
std::string orderctl(std::uint16_t admin_port, const std::string& args, int& status) {
  std::string command = std::string(ORDERCTL_BINARY) +
                        " --admin http://127.0.0.1:" + std::to_string(admin_port) + " " + args +
                        " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  status = WEXITSTATUS(::pclose(pipe));
  return out;
}

class AdminTest : public ::testing::Test {
 protected:
  TempDir dir;
  OrderdProcess orderd{dir.path().string(), {"--latency-scale", "0", "--failure-scale", "0"}};
  HttpClient ingress{orderd.port()};
  HttpClient admin{orderd.admin_port()};
};

TEST_F(AdminTest, DescribeShowsTheJournalWithEachChildsOutcome) {
  auto order = ingress.post("/OrderService/ProcessOrder", kOrder);
  ASSERT_EQ(order.status, 200u);
  auto r = admin.get("/invocations/" + order.restate_id);
  ASSERT_EQ(r.status, 200u) << r.body;
  auto o = parse_object(r.body);
  EXPECT_EQ(o["status"], "succeeded");
  EXPECT_EQ(o["input"].as_object()["userId"], "user123");
  EXPECT_EQ(o["result"], boost::json::parse(order.body));
  const auto& journal = o["journal"].as_array();
  int calls = 0, waits = 0;
  for (const auto& entry : journal) {
    const auto& e = entry.as_object();
    if (e.at("kind") == "call") {
      ++calls;
      EXPECT_TRUE(e.contains("target") && e.contains("endedAt") && e.contains("attempts"));
      EXPECT_TRUE(e.contains("result") || e.contains("error"));
    }
    if (e.at("kind") == "wait") ++waits;
  }
  EXPECT_GE(calls, 6);  // six checks, plus a void when the order failed after authorizing
  EXPECT_EQ(waits, 6);
  EXPECT_EQ(admin.get("/invocations/inv_nope").status, 404u);
}

TEST_F(AdminTest, ListFiltersAndPagesNewestFirst) {
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(ingress.post("/OrderService/ProcessOrder", kOrder).status, 200u);
  auto page = parse_object(admin.get("/invocations?service=OrderService&limit=2").body);
  const auto& first = page["invocations"].as_array();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_GT(first[0].at("id").as_string(), first[1].at("id").as_string());
  std::string cursor(page["nextCursor"].as_string());
  auto rest =
      parse_object(admin.get("/invocations?service=OrderService&limit=2&cursor=" + cursor).body);
  ASSERT_EQ(rest["invocations"].as_array().size(), 1u);
  EXPECT_TRUE(rest["nextCursor"].is_null());
  EXPECT_EQ(admin.get("/invocations?status=sleeping").status, 400u);
  EXPECT_EQ(admin.get("/invocations?limit=0").status, 400u);
}

TEST_F(AdminTest, OrderctlSteersAnInvocationThroughEveryState) {
  auto sent = ingress.post("/OrderService/ProcessOrder/send?delay=1h", kOrder);
  ASSERT_EQ(sent.status, 202u);
  const std::string id = sent.restate_id;
  int status = 0;

  std::string ls = orderctl(orderd.admin_port(), "invocations ls --status running", status);
  EXPECT_EQ(status, 0) << ls;
  EXPECT_NE(ls.find(id), std::string::npos) << ls;

  orderctl(orderd.admin_port(), "invocations pause " + id, status);
  EXPECT_EQ(status, 0);
  std::string paused = orderctl(orderd.admin_port(), "--json invocations describe " + id, status);
  EXPECT_EQ(parse_object(paused)["status"], "paused") << paused;
  EXPECT_EQ(parse_object(paused)["reason"], "paused by an operator");

  std::string again = orderctl(orderd.admin_port(), "invocations pause " + id, status);
  EXPECT_NE(status, 0);
  EXPECT_NE(again.find("409"), std::string::npos) << again;

  orderctl(orderd.admin_port(), "invocations resume " + id, status);
  EXPECT_EQ(status, 0);
  orderctl(orderd.admin_port(), "invocations purge " + id, status);
  EXPECT_NE(status, 0);  // still running: purge takes finished invocations only
  orderctl(orderd.admin_port(), "invocations kill " + id, status);
  EXPECT_EQ(status, 0);
  auto killed = ingress.get("/restate/invocation/" + id + "/attach");
  EXPECT_EQ(killed.status, 409u) << killed.body;

  orderctl(orderd.admin_port(), "invocations purge " + id, status);
  EXPECT_EQ(status, 0);
  std::string gone = orderctl(orderd.admin_port(), "invocations describe " + id, status);
  EXPECT_NE(status, 0);
  EXPECT_NE(gone.find("not found"), std::string::npos) << gone;
}

TEST_F(AdminTest, CancelFailsTheInvocationWithAConflict) {
  auto sent = ingress.post("/OrderService/ProcessOrder/send?delay=1h", kOrder);
  ASSERT_EQ(sent.status, 202u);
  int status = 0;
  orderctl(orderd.admin_port(), "invocations cancel " + sent.restate_id, status);
  EXPECT_EQ(status, 0);
  auto cancelled = ingress.get("/restate/invocation/" + sent.restate_id + "/attach");
  EXPECT_EQ(cancelled.status, 409u);
  EXPECT_NE(cancelled.body.find("cancelled"), std::string::npos) << cancelled.body;
}

// kill -9 right after the cancel's answer: the cancel was durable before it was answered, so the
// restarted process finds it journaled and the invocation ends cancelled. A repeat journals
// nothing more.
TEST_F(AdminTest, ACancelAnsweredSurvivesAKillRightAfterTheAnswer) {
  auto sent = ingress.post("/OrderService/ProcessOrder/send?delay=1h", kOrder);
  ASSERT_EQ(sent.status, 202u);
  const std::string id = sent.restate_id;
  auto cancelled = admin.request("PATCH", "/invocations/" + id + "/cancel", "");
  ASSERT_EQ(cancelled.status, 202u) << cancelled.body;
  ASSERT_TRUE(orderd.kill_hard());

  OrderdProcess restarted{dir.path().string(), {"--latency-scale", "0", "--failure-scale", "0"}};
  HttpClient again_admin{restarted.admin_port()};
  HttpClient again_ingress{restarted.port()};
  auto attached = again_ingress.get("/restate/invocation/" + id + "/attach");
  EXPECT_EQ(attached.status, 409u) << attached.body;
  EXPECT_NE(attached.body.find("cancelled"), std::string::npos) << attached.body;
  auto repeat = again_admin.request("PATCH", "/invocations/" + id + "/cancel", "");
  EXPECT_EQ(repeat.status, 202u) << repeat.body;
  auto described = parse_object(again_admin.get("/invocations/" + id).body);
  int cancels = 0;
  for (const auto& entry : described["journal"].as_array())
    if (entry.as_object().at("kind") == "cancel") ++cancels;
  EXPECT_EQ(cancels, 1) << boost::json::serialize(described);
}

}  // namespace
}  // namespace orderd::testing
