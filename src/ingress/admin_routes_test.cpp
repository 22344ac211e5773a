// The admin controls against an in-process engine: a purge a domain's guard refuses is a 409
// naming the guard's reason, and a cancel is answered only once it is durable, a repeat alike.
#include "ingress/admin_routes.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>

#include "engine/registry.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd::http {
namespace {

using namespace std::chrono_literals;
using testing::Text;
using testing::text_input;

Task<Text> echo(Context&, Text in) {
  co_return in;
}

Task<Text> wait_long(Context& ctx, Text) {
  auto nap = ctx.sleep(std::chrono::hours(1));
  co_await nap;
  co_return Text{"woke"};
}

class AdminRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h.registry.add("Ledger", "Echo", &echo);
    h.registry.add("Slow", "Wait", &wait_long);
    h.start();
    admin.emplace(h.engine());
  }
  // Sends a PATCH; the answer, if one came within `wait`.
  std::optional<Response> patch(const std::string& target,
                                std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    auto answer = std::make_shared<std::optional<Response>>();
    admin->handle(Request{"PATCH", target, "", {}}, [answer](Response r) { *answer = r; });
    h.run_until([&] { return answer->has_value(); }, wait);
    pending = answer;
    return *answer;
  }
  std::int64_t cancels(const std::string& id) {
    return h.query_int("SELECT count(*) FROM journal WHERE kind = 5 AND invocation_id = '" + id +
                       "'");
  }
  testing::EngineHarness h;
  std::optional<AdminRoutes> admin;
  std::shared_ptr<std::optional<Response>> pending;  // an answer that may still come
};

TEST_F(AdminRoutesTest, APurgeAGuardRefusesIsAConflictNamingItsReason) {
  bool reconciled = false;
  h.engine().add_purge_guard([&](const store::InvocationRecord& r) -> std::optional<Error> {
    if (reconciled) return std::nullopt;
    return Error::of(ErrorCode::kConflict, "payment of " + r.id + " is not reconciled",
                     "payment_unreconciled");
  });
  auto done = h.call("Ledger", "Echo", text_input("x"));
  ASSERT_TRUE(done.ok);
  auto refused = patch("/invocations/" + done.invocation_id + "/purge");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 409u) << refused->body;
  EXPECT_EQ(refused->content_type, "application/problem+json");
  auto problem = boost::json::parse(refused->body).as_object();
  EXPECT_EQ(problem["code"], "payment_unreconciled");
  EXPECT_EQ(problem["detail"].as_string(),
            "payment of " + done.invocation_id + " is not reconciled");
  EXPECT_EQ(problem["status"], 409);
  EXPECT_TRUE(h.engine().describe(done.invocation_id));

  reconciled = true;
  auto purged = patch("/invocations/" + done.invocation_id + "/purge");
  ASSERT_TRUE(purged);
  EXPECT_EQ(purged->status, 202u) << purged->body;
}

TEST_F(AdminRoutesTest, ACancelIsAnsweredOnlyOnceDurableAndARepeatAlike) {
  auto id = h.start_invocation("Slow", "Wait", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 1));
  std::int64_t on_disk_when_answered = -1;
  auto answer = std::make_shared<std::optional<Response>>();
  admin->handle(Request{"PATCH", "/invocations/" + id + "/cancel", "", {}},
                [&, answer](Response r) {
                  on_disk_when_answered = cancels(id);
                  *answer = r;
                });
  EXPECT_FALSE(answer->has_value());  // not in the turn that journaled it
  ASSERT_TRUE(h.run_until([&] { return answer->has_value(); }));
  EXPECT_EQ((*answer)->status, 202u) << (*answer)->body;
  EXPECT_EQ(on_disk_when_answered, 1);

  auto again = patch("/invocations/" + id + "/cancel");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 202u) << again->body;
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.error.code, ErrorCode::kCancelled) << outcome.body;
  EXPECT_EQ(cancels(id), 1);
}

// The attack: the cancel never reaches the disk. An answer would tell the operator it was done.
TEST_F(AdminRoutesTest, ACancelThatNeverBecomesDurableIsNeverAnswered) {
  auto id = h.start_invocation("Slow", "Wait", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 1));
  h.lose_power_now();
  const auto submitted = h.batches_submitted();
  auto answer = patch("/invocations/" + id + "/cancel", 50ms);
  EXPECT_GT(h.batches_submitted(), submitted);  // the cancel went to the (powerless) store
  EXPECT_FALSE(answer) << answer->body;
  h.crash();
  EXPECT_EQ(cancels(id), 0);
}

}  // namespace
}  // namespace orderd::http
