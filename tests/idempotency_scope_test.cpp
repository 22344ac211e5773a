// Idempotency keys are scoped by caller (InvokeRequest::principal): the same key on the same
// target from two principals names two invocations, from one principal one, while it runs,
// after it finished, across a restart, and until a purge frees that principal's key alone.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/context.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd::testing {
namespace {

int echo_runs = 0;
std::vector<std::string> handed_out;  // the awakeables Hold/Wait waits for

Task<Text> echo(Context&, Text in) {
  ++echo_runs;
  co_return in;
}

Task<Text> hold(Context& ctx, Text) {
  auto release = ctx.awakeable<Text>();
  handed_out.push_back(release.id);
  Text text = co_await release.future;
  co_return text;
}

class IdempotencyScopeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    echo_runs = 0;
    handed_out.clear();
    h.registry.add("Echo", "Run", &echo);
    h.registry.add("Hold", "Wait", &hold);
    h.start();
  }

  InvokeResult invoke(const std::string& service, const std::string& handler,
                      const std::string& principal, const std::string& key) {
    InvokeRequest request{service, handler, text_input("same"), key, 0, ""};
    request.principal = principal;
    return h.engine().invoke(std::move(request), {});
  }

  void await_durable() {
    bool durable = false;
    h.engine().after_durable([&] { durable = true; });
    ASSERT_TRUE(h.run_until([&] { return durable; }));
  }

  EngineHarness h;
};

TEST_F(IdempotencyScopeTest, EachPrincipalHasItsOwnKeys) {
  auto alice = invoke("Echo", "Run", "alice", "k");
  auto bob = invoke("Echo", "Run", "bob", "k");
  auto anonymous = invoke("Echo", "Run", "", "k");
  EXPECT_EQ(alice.disposition, InvokeDisposition::kStarted);
  EXPECT_EQ(bob.disposition, InvokeDisposition::kStarted);
  EXPECT_EQ(anonymous.disposition, InvokeDisposition::kStarted);
  EXPECT_NE(alice.invocation_id, bob.invocation_id);
  EXPECT_NE(alice.invocation_id, anonymous.invocation_id);
  for (const auto* r : {&alice, &bob, &anonymous})
    EXPECT_TRUE(h.await_outcome(r->invocation_id).ok);
  EXPECT_EQ(echo_runs, 3);

  // Once finished, each principal's repeat answers from its own invocation.
  auto again = invoke("Echo", "Run", "alice", "k");
  EXPECT_EQ(again.disposition, InvokeDisposition::kExisting);
  EXPECT_EQ(again.invocation_id, alice.invocation_id);
  EXPECT_EQ(invoke("Echo", "Run", "", "k").invocation_id, anonymous.invocation_id);
  EXPECT_EQ(echo_runs, 3);

  EXPECT_EQ(h.engine().find_idempotent("Echo/Run", "k", "alice"), alice.invocation_id);
  EXPECT_EQ(h.engine().find_idempotent("Echo/Run", "k", "bob"), bob.invocation_id);
  EXPECT_EQ(h.engine().find_idempotent("Echo/Run", "k"), anonymous.invocation_id);
  EXPECT_EQ(h.engine().find_idempotent("Echo/Run", "k", "carol"), std::nullopt);

  // Purging one principal's invocation frees its key, and only its key.
  ASSERT_EQ(h.engine().purge(alice.invocation_id), Engine::Control::kDone);
  await_durable();
  EXPECT_EQ(h.engine().find_idempotent("Echo/Run", "k", "alice"), std::nullopt);
  EXPECT_EQ(h.engine().find_idempotent("Echo/Run", "k", "bob"), bob.invocation_id);
  EXPECT_EQ(h.engine().find_idempotent("Echo/Run", "k"), anonymous.invocation_id);
}

TEST_F(IdempotencyScopeTest, RunningKeysStayScopedAcrossARestart) {
  auto alice = invoke("Hold", "Wait", "alice", "k");
  auto bob = invoke("Hold", "Wait", "bob", "k");
  EXPECT_NE(alice.invocation_id, bob.invocation_id);
  auto repeat = invoke("Hold", "Wait", "alice", "k");
  EXPECT_EQ(repeat.disposition, InvokeDisposition::kExisting);
  EXPECT_EQ(repeat.invocation_id, alice.invocation_id);
  ASSERT_TRUE(h.run_until([] { return handed_out.size() == 2; }));
  await_durable();

  h.crash();
  h.start();  // recovery rebuilds the running keys from the records
  EXPECT_EQ(invoke("Hold", "Wait", "alice", "k").invocation_id, alice.invocation_id);
  EXPECT_EQ(invoke("Hold", "Wait", "bob", "k").invocation_id, bob.invocation_id);
  auto carol = invoke("Hold", "Wait", "carol", "k");
  EXPECT_EQ(carol.disposition, InvokeDisposition::kStarted);
  EXPECT_NE(carol.invocation_id, alice.invocation_id);
  EXPECT_NE(carol.invocation_id, bob.invocation_id);
}

TEST_F(IdempotencyScopeTest, AKeyCannotForgeAnotherCallersScope) {
  auto alice = invoke("Echo", "Run", "alice", "k");
  ASSERT_TRUE(h.await_outcome(alice.invocation_id).ok);
  // alice's key is stored as "alice\x1fk": an anonymous caller naming that key finds nothing,
  // and may not start anything under it.
  EXPECT_EQ(h.engine().find_idempotent("Echo/Run", std::string("alice\x1fk")), std::nullopt);
  EXPECT_THROW(invoke("Echo", "Run", "", std::string("alice\x1fk")), std::invalid_argument);
  EXPECT_EQ(echo_runs, 1);
}

}  // namespace
}  // namespace orderd::testing
