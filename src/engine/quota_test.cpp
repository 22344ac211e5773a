// The engine's counts per principal behind the front door's quotas (Q1, engine_internal.hpp):
// parked and scheduled invocations per principal, children counted under their root's
// principal, kept through every way work parks, wakes, comes due or ends (resolve, timer, kill,
// pause, cancel, recovery), and an entry gone once its count is zero.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "engine/registry.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using testing::Text;
using testing::text_input;

// Awakeable ids handed out, by the input that asked for them.
std::map<std::string, std::string> hooks;

// Waits on an awakeable ("hook:<name>") or a long timer ("sleep"), then finishes.
Task<Text> wait_on_world(Context& ctx, Text in) {
  if (in.value == "sleep") {
    auto nap = ctx.sleep(1h);
    co_await nap;
    co_return Text{"woke"};
  }
  auto hook = ctx.awakeable<std::string>();
  ctx.run("hand out", [&] {
    hooks[in.value] = hook.id;
    return 0;
  });
  std::string got = co_await hook.future;
  co_return Text{got};
}

// Calls wait_on_world: the parent waits on a call (active), its child parks.
Task<Text> call_waiter(Context& ctx, Text in) {
  auto child = ctx.call<Text>("Quota", "Wait", in);
  Text got = co_await child;
  co_return got;
}

class EngineQuotaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hooks.clear();
    h.registry.add("Quota", "Wait", &wait_on_world);
    h.registry.add("Quota", "Call", &call_waiter);
  }

  std::string start_as(const std::string& principal, const std::string& handler,
                       const std::string& value, std::int64_t delay_ms = 0) {
    InvokeRequest request;
    request.service = "Quota";
    request.handler = handler;
    request.input = text_input(value);
    request.principal = principal;
    request.delay_ms = delay_ms;
    return h.engine().invoke(std::move(request), {}).invocation_id;
  }

  void resolve(const std::string& hook) {
    bool durable = false;
    ASSERT_EQ(h.engine().complete_awakeable(hooks.at(hook), false, 0, "\"done\"",
                                            [&] { durable = true; }),
              Engine::Control::kDone);
    ASSERT_TRUE(h.run_until([&] { return durable; }));
  }

  EngineHarness h;
};

TEST_F(EngineQuotaTest, ParkedInvocationsAreCountedPerPrincipalAndLeaveAtZero) {
  h.start();
  start_as("alice", "Wait", "hook:a1");
  start_as("alice", "Wait", "hook:a2");
  start_as("bob", "Wait", "hook:b1");
  start_as("", "Wait", "hook:anonymous");
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked() == 4; }));
  EXPECT_EQ(h.engine().parked_of("alice"), 2u);
  EXPECT_EQ(h.engine().parked_of("bob"), 1u);
  EXPECT_EQ(h.engine().parked_of(""), 1u);
  EXPECT_EQ(h.engine().parked_of("carol"), 0u);
  EXPECT_EQ(h.engine().counted_principals(), 3u);  // alice, bob, anonymous

  resolve("hook:a1");  // woken: it finishes
  ASSERT_TRUE(h.run_until([&] { return h.engine().in_flight() == 3; }));
  EXPECT_EQ(h.engine().parked_of("alice"), 1u);
  resolve("hook:a2");
  resolve("hook:b1");
  resolve("hook:anonymous");
  ASSERT_TRUE(h.run_until([&] { return h.engine().in_flight() == 0; }));
  EXPECT_EQ(h.engine().parked_of("alice"), 0u);
  EXPECT_EQ(h.engine().parked_of("bob"), 0u);
  EXPECT_EQ(h.engine().counted_principals(), 0u);  // no entry outlives its work
}

TEST_F(EngineQuotaTest, AChildParksUnderItsRootsPrincipal) {
  h.start();
  auto parent = start_as("alice", "Call", "hook:child");
  ASSERT_TRUE(h.run_until([&] { return hooks.count("hook:child") && h.engine().parked() == 1; }));
  EXPECT_EQ(h.engine().in_flight(), 2u);
  EXPECT_EQ(h.engine().parked_of("alice"), 1u);  // the child; its parent waits on a call
  resolve("hook:child");
  auto outcome = h.await_outcome(parent);
  EXPECT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(h.engine().parked_of("alice"), 0u);
  EXPECT_EQ(h.engine().counted_principals(), 0u);
}

TEST_F(EngineQuotaTest, KillPauseAndCancelUnparkTheirPrincipalsWork) {
  h.start();
  auto killed = start_as("alice", "Wait", "sleep");
  auto paused = start_as("alice", "Wait", "hook:p");
  auto cancelled = start_as("alice", "Wait", "hook:c");
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked_of("alice") == 3; }));

  ASSERT_EQ(h.engine().kill(killed), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return h.engine().in_flight() == 2; }));
  EXPECT_EQ(h.engine().parked_of("alice"), 2u);

  ASSERT_EQ(h.engine().pause(paused), Engine::Control::kDone);
  EXPECT_EQ(h.engine().parked_of("alice"), 1u);  // paused holds no wait
  ASSERT_EQ(h.engine().resume(paused), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked_of("alice") == 2; }));

  ASSERT_EQ(h.engine().cancel(cancelled), Engine::Control::kDone);
  auto outcome = h.await_outcome(cancelled);
  EXPECT_EQ(outcome.error.code, ErrorCode::kCancelled);
  EXPECT_EQ(h.engine().parked_of("alice"), 1u);

  // A purge forgets a finished invocation: it held nothing, and takes nothing away.
  ASSERT_EQ(h.engine().purge(killed), Engine::Control::kDone);
  h.engine().flush();
  EXPECT_EQ(h.engine().parked_of("alice"), 1u);

  ASSERT_EQ(h.engine().kill(paused), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return h.engine().in_flight() == 0; }));
  EXPECT_EQ(h.engine().parked_of("alice"), 0u);
  EXPECT_EQ(h.engine().counted_principals(), 0u);
}

TEST_F(EngineQuotaTest, DelayedSendsAreScheduledUnderTheirPrincipalUntilDue) {
  h.start();
  auto soon = start_as("alice", "Wait", "hook:soon", 100);
  auto later = start_as("alice", "Wait", "sleep", 3'600'000);
  auto bobs = start_as("bob", "Wait", "sleep", 3'600'000);
  EXPECT_EQ(h.engine().scheduled_of("alice"), 2u);
  EXPECT_EQ(h.engine().scheduled_of("bob"), 1u);
  EXPECT_EQ(h.engine().counted_principals(), 2u);

  // Due: no longer scheduled; it runs, and parks on its awakeable.
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked_of("alice") == 1; }));
  EXPECT_EQ(h.engine().scheduled_of("alice"), 1u);

  ASSERT_EQ(h.engine().kill(later), Engine::Control::kDone);
  ASSERT_EQ(h.engine().kill(bobs), Engine::Control::kDone);
  EXPECT_EQ(h.engine().scheduled_of("alice"), 0u);
  EXPECT_EQ(h.engine().scheduled_of("bob"), 0u);
  resolve("hook:soon");
  auto outcome = h.await_outcome(soon);
  EXPECT_TRUE(outcome.ok) << outcome.body;
  ASSERT_TRUE(h.run_until([&] { return h.engine().in_flight() == 0; }));
  EXPECT_EQ(h.engine().counted_principals(), 0u);
}

TEST_F(EngineQuotaTest, RecoveryCountsWhatEachPrincipalHeld) {
  h.start();
  auto parked = start_as("alice", "Wait", "hook:r");
  auto sleeping = start_as("alice", "Wait", "sleep");
  start_as("alice", "Wait", "sleep", 3'600'000);
  start_as("bob", "Wait", "sleep", 3'600'000);
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked_of("alice") == 2; }));
  ASSERT_TRUE(h.await_durable_entries(parked, 2));
  ASSERT_TRUE(h.await_durable_entries(sleeping, 1));
  bool durable = false;  // the delayed sends' creations too
  h.engine().after_durable([&] { durable = true; });
  ASSERT_TRUE(h.run_until([&] { return durable; }));
  h.crash();
  hooks.clear();

  h.start();
  EXPECT_EQ(h.engine().scheduled_of("alice"), 1u);
  EXPECT_EQ(h.engine().scheduled_of("bob"), 1u);
  // The parked ones park again as they replay up to their waits.
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked_of("alice") == 2; }));
  EXPECT_EQ(h.engine().parked(), 2u);
  EXPECT_EQ(h.engine().counted_principals(), 3u);  // alice parked, alice and bob scheduled
}

}  // namespace
}  // namespace orderd
