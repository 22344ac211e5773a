// Effect steps (Context::run_on_worker, run_async): they run off the engine thread, retry under
// one idempotency key, time out, fail terminally when their attempts run out, and run again after
// a crash that lost their outcome, never after one that kept it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "engine/handoff.hpp"
#include "engine/registry.hpp"
#include "support/engine_harness.hpp"
#include "support/temp_dir.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using testing::Text;
using testing::text_input;

// What the effects saw, shared with the worker threads.
struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  int blocked = 0;    // blocking effects waiting at the rendezvous
  bool gate = false;  // charge_and_lose_power's effect waits for it to open
  std::vector<std::string> keys;
  std::vector<std::uint32_t> attempts;
  void record(const EffectAttempt& a) {
    std::lock_guard lock(mutex);
    keys.push_back(a.idempotency_key);
    attempts.push_back(a.attempt);
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return keys.size();
  }
};
Seen* seen = nullptr;

EngineOptions with_workers(std::size_t n) {
  EngineOptions o;
  o.default_workers = n;
  return o;
}

class EffectsTest : public ::testing::Test {
 protected:
  void SetUp() override { seen = &state; }
  void TearDown() override { seen = nullptr; }
  Seen state;
};

// Two effects that can only finish together: each waits (up to 5 s) for the other to arrive.
Task<Text> rendezvous(Context& ctx, Text) {
  auto met = ctx.run_on_worker("rendezvous", [] {
    std::unique_lock lock(seen->mutex);
    ++seen->blocked;
    seen->changed.notify_all();
    bool both = seen->changed.wait_for(lock, 5s, [] { return seen->blocked >= 2; });
    return std::string(both ? "together" : "alone");
  });
  std::string how = co_await met;
  co_return Text{how};
}

Task<Text> echo(Context&, Text in) {
  co_return in;
}

TEST_F(EffectsTest, BlockingStepsOfTwoInvocationsOverlapWhileTheEngineServesOthers) {
  EngineHarness h(with_workers(2));
  h.registry.add("Slow", "Rendezvous", &rendezvous);
  h.registry.add("Quick", "Echo", &echo);
  h.start();
  auto first = h.start_invocation("Slow", "Rendezvous", text_input(""));
  // While the first effect blocks its worker, the engine thread still finishes other work.
  ASSERT_TRUE(h.run_until([] {
    std::lock_guard lock(seen->mutex);
    return seen->blocked == 1;
  }));
  auto quick = h.call("Quick", "Echo", text_input("meanwhile"));
  EXPECT_TRUE(quick.ok);
  {
    std::lock_guard lock(seen->mutex);
    EXPECT_EQ(seen->blocked, 1) << "the quick call waited for the blocked effect";
  }
  auto second = h.start_invocation("Slow", "Rendezvous", text_input(""));
  auto a = h.await_outcome(first);
  auto b = h.await_outcome(second);
  EXPECT_EQ(a.body, R"({"value":"together"})");
  EXPECT_EQ(b.body, R"({"value":"together"})");
}

// Fails `in.value` times, then succeeds with the attempt number.
Task<Text> flaky(Context& ctx, Text in) {
  const int failures = std::stoi(in.value);
  RunPolicy policy;
  policy.initial_backoff = 1ms;
  auto charged = ctx.run_on_worker(
      "charge",
      [failures](const EffectAttempt& attempt) {
        seen->record(attempt);
        if (static_cast<int>(attempt.attempt) <= failures) throw std::runtime_error("gateway busy");
        return static_cast<int>(attempt.attempt);
      },
      policy);
  int attempt = co_await charged;
  co_return Text{std::to_string(attempt)};
}

TEST_F(EffectsTest, TransientFailuresRetryUnderOneIdempotencyKey) {
  EngineHarness h;
  h.registry.add("Pay", "Flaky", &flaky);
  h.start();
  auto outcome = h.call("Pay", "Flaky", text_input("2"));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"3"})");
  ASSERT_EQ(state.keys.size(), 3u);
  EXPECT_EQ(std::set<std::string>(state.keys.begin(), state.keys.end()).size(), 1u);
  EXPECT_EQ(state.attempts, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_NE(state.keys[0].find(outcome.invocation_id), std::string::npos);
}

// Never succeeds: after max_attempts the step fails with a terminal error the handler sees.
Task<Text> hopeless(Context& ctx, Text in) {
  RunPolicy policy;
  policy.initial_backoff = 1ms;
  policy.max_attempts = 3;
  if (in.value == "slow") policy.timeout = 20ms;
  auto call = ctx.run_on_worker(
      "call",
      [slow = in.value == "slow"](const EffectAttempt& attempt) -> int {
        seen->record(attempt);
        if (slow) std::this_thread::sleep_for(200ms);
        throw std::runtime_error("gateway down");
      },
      policy);
  try {
    co_await call;
  } catch (const TerminalError& e) {
    co_return Text{std::to_string(e.code()) + " " + e.what()};
  }
  co_return Text{"succeeded?"};
}

TEST_F(EffectsTest, ExhaustedAttemptsFailTheStepTerminally) {
  EngineHarness h;
  h.registry.add("Pay", "Hopeless", &hopeless);
  h.start();
  auto outcome = h.call("Pay", "Hopeless", text_input("fast"));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"502 effect 'call' failed after 3 attempts: gateway down"})");
  EXPECT_EQ(state.count(), 3u);
}

TEST_F(EffectsTest, AttemptsThatTimeOutEndWithDeadlineExceeded) {
  EngineHarness h(with_workers(3));
  h.registry.add("Pay", "Hopeless", &hopeless);
  h.start();
  auto outcome = h.call("Pay", "Hopeless", text_input("slow"));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body,
            R"({"value":"504 effect 'call' failed after 3 attempts: timed out after 20 ms"})");
}

// Asynchronous I/O: the "client library" answers on a thread of its own.
Task<Text> publish(Context& ctx, Text in) {
  RunPolicy policy;
  policy.timeout = 50ms;
  policy.max_attempts = 2;
  policy.initial_backoff = 1ms;
  const bool answer = in.value != "silent";
  auto acked = ctx.run_async(
      "publish",
      [answer](const EffectAttempt& attempt) -> Task<std::string> {
        seen->record(attempt);
        Handoff<std::string> ack(attempt);
        if (answer) {
          std::thread([d = ack.deliverer(), key = attempt.idempotency_key] {
            std::this_thread::sleep_for(5ms);
            d.deliver("ack:" + key);
          }).detach();
        }
        std::string got = co_await ack;
        co_return got;
      },
      policy);
  try {
    std::string got = co_await acked;
    co_return Text{got};
  } catch (const TerminalError& e) {
    co_return Text{std::to_string(e.code())};
  }
}

TEST_F(EffectsTest, AsynchronousEffectResumesWhenAnotherThreadDelivers) {
  EngineHarness h;
  h.registry.add("Events", "Publish", &publish);
  h.start();
  auto outcome = h.call("Events", "Publish", text_input("now"));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"ack:)" + outcome.invocation_id + R"(/0"})");
}

TEST_F(EffectsTest, AsynchronousAttemptThatNeverAnswersTimesOut) {
  EngineHarness h;
  h.registry.add("Events", "Publish", &publish);
  h.start();
  auto outcome = h.call("Events", "Publish", text_input("silent"));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"504"})");
  EXPECT_EQ(state.count(), 2u);
}

// An effect, then a sleep that leaves time to crash.
Task<Text> charge_then_wait(Context& ctx, Text in) {
  auto charged = ctx.run_on_worker("charge", [](const EffectAttempt& a) {
    seen->record(a);
    return "charged under " + a.idempotency_key;
  });
  std::string receipt = co_await charged;
  auto nap = ctx.sleep(200ms);
  co_await nap;
  co_return Text{receipt};
}

TEST_F(EffectsTest, AnEffectWhoseOutcomeWasDurableDoesNotRunAgain) {
  EngineHarness h;
  h.registry.add("Pay", "ChargeThenWait", &charge_then_wait);
  h.start();
  auto id = h.start_invocation("Pay", "ChargeThenWait", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 2));  // the effect's outcome came before the sleep
  ASSERT_EQ(h.query_int("SELECT count(*) FROM completions WHERE invocation_id = '" + id + "'"), 1);
  h.crash();
  h.start();
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"charged under )" + id + R"(/0"})");
  EXPECT_EQ(state.count(), 1u);
}

// Power is lost after the worker finished but before its outcome was committed: the effect runs
// again after the restart, under the same idempotency key, and the invocation uses that answer.
Task<Text> charge_and_lose_power(Context& ctx, Text) {
  auto charged = ctx.run_on_worker("charge", [](const EffectAttempt& a) {
    {
      std::unique_lock lock(seen->mutex);
      seen->changed.wait(lock, [] { return seen->gate; });
    }
    seen->record(a);
    return "charged under " + a.idempotency_key;
  });
  std::string receipt = co_await charged;
  co_return Text{receipt};
}

TEST_F(EffectsTest, CrashBetweenTheWorkerFinishingAndItsRecordRunsTheEffectAgainUnderItsKey) {
  EngineHarness h;
  h.registry.add("Pay", "Charge", &charge_and_lose_power);
  h.start();
  auto id = h.start_invocation("Pay", "Charge", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 1));  // the effect's entry is durable
  h.lose_power_now();  // nothing the worker produces from here on reaches the disk
  {
    std::lock_guard lock(state.mutex);
    state.gate = true;
  }
  state.changed.notify_all();
  ASSERT_TRUE(h.run_until([&] { return state.count() == 1; }));
  // The worker's outcome reaches the engine thread, which writes its completion (lost).
  ASSERT_TRUE(h.run_until([&] { return h.batches_submitted() > 0 && h.store_crashed(); }));
  h.crash();
  EXPECT_EQ(h.query_int("SELECT count(*) FROM completions WHERE invocation_id = '" + id + "'"), 0);

  h.start();
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  ASSERT_EQ(state.keys.size(), 2u);
  EXPECT_EQ(state.keys[0], state.keys[1]);
  EXPECT_EQ(outcome.body, R"({"value":"charged under )" + state.keys[0] + R"("})");
}

// Fails for ever: only an operator stops it.
Task<Text> forever_failing(Context& ctx, Text) {
  RunPolicy policy;
  policy.initial_backoff = 5ms;
  policy.max_backoff = 5ms;
  auto call = ctx.run_on_worker(
      "call",
      [](const EffectAttempt& attempt) -> int {
        seen->record(attempt);
        throw std::runtime_error("gateway down");
      },
      policy);
  co_await call;
  co_return Text{"never"};
}

TEST_F(EffectsTest, KillingTheInvocationStopsItsEffectsRetries) {
  EngineHarness h;
  h.registry.add("Pay", "Forever", &forever_failing);
  h.start();
  auto id = h.start_invocation("Pay", "Forever", text_input(""));
  ASSERT_TRUE(h.run_until([&] { return state.count() >= 2; }));
  EXPECT_EQ(h.engine().kill(id), Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.error.code, ErrorCode::kKilled);
  const auto attempts = state.count();
  // Twenty backoffs' worth of time: a retry loop that outlived the kill would show here.
  EXPECT_FALSE(h.run_until([&] { return state.count() > attempts + 1; }, 100ms));
}

TEST_F(EffectsTest, TheAuditLogHasOneLinePerEffectRun) {
  testing::TempDir dir;
  EngineOptions options;
  options.audit_log_path = (dir.path() / "audit.log").string();
  {
    EngineHarness h(options);
    h.registry.add("Pay", "Charge", &charge_then_wait);
    h.start();
    ASSERT_TRUE(h.call("Pay", "Charge", text_input("")).ok);
  }
  std::ifstream audit(options.audit_log_path);
  std::string line;
  int effect_lines = 0;
  while (std::getline(audit, line))
    if (line.find(" effect charge") != std::string::npos) ++effect_lines;
  EXPECT_EQ(effect_lines, 1);
}

}  // namespace
}  // namespace orderd
