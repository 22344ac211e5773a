// Parking: an invocation waiting only on time or the outside world does not count as active,
// and after unload_after_ms its coroutine frames go; the step it waits for replays it from the
// journal in memory, without running a step again and without counting an attempt.
#include <gtest/gtest.h>

#include <map>

#include "engine/registry.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using testing::Text;
using testing::text_input;

std::map<std::string, int> ran;
std::string handed_out;

// A step, then a wait on the outside world (an awakeable) or a timer, then another step.
Task<Text> wait_for_webhook(Context& ctx, Text in) {
  int before = ctx.run("before", [] { return ++ran["before"]; });
  std::string got;
  if (in.value == "timer") {
    auto nap = ctx.sleep(150ms);
    co_await nap;
    got = "woke";
  } else {
    auto hook = ctx.awakeable<std::string>();
    ctx.run("hand out", [&hook] {
      handed_out = hook.id;
      return 0;
    });
    got = co_await hook.future;
  }
  int after = ctx.run("after", [] { return ++ran["after"]; });
  co_return Text{got + " " + std::to_string(before) + " " + std::to_string(after)};
}

// Calls the webhook waiter: waiting on a call is work in progress, not parked.
Task<Text> call_it(Context& ctx, Text in) {
  auto child = ctx.call<Text>("Hook", "Wait", in);
  Text got = co_await child;
  co_return got;
}

EngineOptions unload_quickly() {
  EngineOptions o;
  o.unload_after_ms = 20;
  return o;
}

class ParkingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ran.clear();
    handed_out.clear();
    h.registry.add("Hook", "Wait", &wait_for_webhook);
    h.registry.add("Hook", "Call", &call_it);
  }
  EngineHarness h{unload_quickly()};
};

TEST_F(ParkingTest, AnUnloadedInvocationWakesWhenItsAwakeableIsResolved) {
  h.start();
  auto id = h.start_invocation("Hook", "Wait", text_input("hook"));
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked() == 1; }));
  EXPECT_EQ(h.engine().in_flight(), 1u);
  ASSERT_TRUE(h.run_until([&] { return h.engine().unloaded() == 1; }));

  bool durable = false;
  ASSERT_EQ(
      h.engine().complete_awakeable(handed_out, false, 0, "\"paid\"", [&] { durable = true; }),
      Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"paid 1 1"})");
  EXPECT_EQ(ran["before"], 1);  // replayed, not run again
  EXPECT_EQ(h.engine().parked(), 0u);
  EXPECT_EQ(h.engine().unloaded(), 0u);
  EXPECT_EQ(h.query_int("SELECT attempts FROM invocations WHERE id = '" + id + "'"), 1);
}

TEST_F(ParkingTest, AnUnloadedInvocationWakesWhenItsTimerFires) {
  h.start();
  auto id = h.start_invocation("Hook", "Wait", text_input("timer"));
  ASSERT_TRUE(h.run_until([&] { return h.engine().unloaded() == 1; }));
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"woke 1 1"})");
  EXPECT_EQ(ran["before"], 1);
}

TEST_F(ParkingTest, AnUnloadedInvocationMeetsACancel) {
  h.start();
  auto id = h.start_invocation("Hook", "Wait", text_input("hook"));
  ASSERT_TRUE(h.run_until([&] { return h.engine().unloaded() == 1; }));
  EXPECT_EQ(h.engine().cancel(id), Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.error.code, ErrorCode::kCancelled);
  EXPECT_EQ(ran["before"], 1);
  EXPECT_EQ(ran.count("after"), 0u);
}

TEST_F(ParkingTest, WaitingOnACallIsNotParked) {
  h.start();
  auto parent = h.start_invocation("Hook", "Call", text_input("hook"));
  // The child parks on its awakeable; its parent, waiting on the call, stays active.
  ASSERT_TRUE(h.run_until([&] { return !handed_out.empty() && h.engine().parked() == 1; }));
  EXPECT_EQ(h.engine().in_flight(), 2u);
  bool durable = false;
  h.engine().complete_awakeable(handed_out, false, 0, "\"ok\"", [&] { durable = true; });
  auto outcome = h.await_outcome(parent);
  EXPECT_EQ(outcome.body, R"({"value":"ok 1 1"})");
}

TEST_F(ParkingTest, ARecoveredWaitParksToo) {
  h.start();
  auto id = h.start_invocation("Hook", "Wait", text_input("hook"));
  ASSERT_TRUE(h.run_until([&] { return !handed_out.empty(); }));
  ASSERT_TRUE(h.await_durable_entries(id, 3));
  h.crash();
  handed_out.clear();
  h.start();
  ASSERT_TRUE(h.run_until([&] { return h.engine().parked() == 1; }));
  ASSERT_TRUE(h.run_until([&] { return h.engine().unloaded() == 1; }));
}

}  // namespace
}  // namespace orderd
