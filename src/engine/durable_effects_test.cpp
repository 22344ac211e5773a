// Effects and durability (E1, E2 in effects.cpp). An effect's first attempt waits until the
// steps that decided it are durable, so a crash can never take back a decision the outside world
// has acted on; and a recorded effect's rows commit in the transaction that holds its outcome, at
// every crash point, and are recorded once.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include "engine/registry.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using testing::Text;
using testing::text_input;

// What the handlers and effects below saw. Reset by each test.
struct Observed {
  EngineHarness* harness = nullptr;
  std::string invocation;
  int decisions = 0;                // the transact step's function ran
  std::atomic<int> gateway{0};      // the outside call went out
  std::size_t durable_at_call = 0;  // journal entries durable when it went out
  bool lose_power_in_decision = false;
  std::size_t submitted_at_loss = 0;
  bool kill_after_decision = false;
  int records = 0;  // a recorded effect's record ran
  std::string recorded;
  bool row_seen_after = false;  // read_row in the step after the effect
  std::mutex mutex;
  std::condition_variable opened;
  bool gate_open = true;
  int at_gate = 0;  // attempts that reached the gate
  std::set<std::string> keys;
};
Observed* seen = nullptr;

// Decides a charge in a transact step, then makes it through the gateway (run_async, which
// starts on the engine thread: the old code called it in the very turn of the decision).
Task<Text> decide_then_charge(Context& ctx, Text) {
  const std::string id = ctx.invocation_id();
  int amount = ctx.transact("decide", [&](WriteSet& writes) {
    ++seen->decisions;
    writes.put("charges", id, "500");
    if (seen->lose_power_in_decision) {
      seen->lose_power_in_decision = false;
      seen->harness->lose_power_now();  // this step's record never reaches the disk
      seen->submitted_at_loss = seen->harness->batches_submitted();
    }
    if (seen->kill_after_decision) {
      seen->kill_after_decision = false;
      // Runs in the next turn: before the batch holding the decision is even submitted.
      seen->harness->scheduler().post([id] { seen->harness->engine().kill(id); });
    }
    return 500;
  });
  auto charged = ctx.run_async("charge", [id](const EffectAttempt& a) -> Task<std::string> {
    ++seen->gateway;
    seen->durable_at_call = seen->harness->durable_entries(id);
    seen->keys.insert(a.idempotency_key);
    co_return "charged " + a.idempotency_key;
  });
  std::string receipt = co_await charged;
  co_return Text{receipt + " " + std::to_string(amount)};
}

class DurableEffectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seen = &observed;
    observed.harness = &h;
    h.registry.add_table("charges");
    h.registry.add_table("payments");
    h.registry.add("Pay", "DecideThenCharge", &decide_then_charge);
  }
  void TearDown() override { seen = nullptr; }
  Observed observed;
  EngineHarness h;
};

TEST_F(DurableEffectsTest, TheGatewayIsCalledOnlyOnceTheDecisionBeforeItIsDurable) {
  h.start();
  auto id = h.start_invocation("Pay", "DecideThenCharge", text_input(""));
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(observed.gateway, 1);
  // The decision (transact, entry 0) and the effect's own entry (1) were on disk when it ran.
  EXPECT_GE(observed.durable_at_call, 2u);
}

// The attack: power goes while the decision's record is on its way to the disk. The old code had
// already called the gateway by then; after the restart the handler decides again, and a gateway
// that acted on the lost decision could not be taken back.
TEST_F(DurableEffectsTest, ACrashThatLosesTheDecisionFindsTheGatewayNeverCalled) {
  h.start();
  observed.lose_power_in_decision = true;
  auto id = h.start_invocation("Pay", "DecideThenCharge", text_input(""));
  // The batch holding the decision and the effect's entry has gone to the (powerless) store.
  ASSERT_TRUE(h.run_until([&] {
    return observed.decisions == 1 && h.batches_submitted() > observed.submitted_at_loss;
  }));
  h.engine().flush();
  EXPECT_FALSE(h.run_until([&] { return observed.gateway > 0; }, 50ms));
  EXPECT_EQ(observed.gateway, 0) << "the gateway acted on a decision that was not durable";
  h.crash();
  EXPECT_EQ(h.durable_entries(id), 0u);
  EXPECT_EQ(h.query_int("SELECT count(*) FROM rows WHERE tbl = 'charges'"), 0);

  h.start();
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(observed.decisions, 2);  // decided again after the restart...
  EXPECT_EQ(observed.gateway, 1);    // ...and charged once, for that decision
  EXPECT_EQ(outcome.body, R"({"value":"charged )" + id + R"(/1 500"})");
}

TEST_F(DurableEffectsTest, AnInvocationKilledBeforeItsDecisionIsDurableNeverCallsTheGateway) {
  h.start();
  observed.kill_after_decision = true;
  auto id = h.start_invocation("Pay", "DecideThenCharge", text_input(""));
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.error.code, ErrorCode::kKilled) << outcome.body;
  h.engine().flush();
  EXPECT_FALSE(h.run_until([&] { return observed.gateway > 0; }, 50ms));
  EXPECT_EQ(observed.gateway, 0);
}

// A payment made through the gateway and recorded in the ledger ("payments") with its outcome.
// The step after it looks at the ledger; a sleep leaves time to crash.
Task<Text> pay_and_record(Context& ctx, Text in) {
  const std::string id = ctx.invocation_id();
  const bool decline = in.value == "decline";
  RunPolicy policy;
  policy.initial_backoff = 1ms;
  auto paid = ctx.run_on_worker_recorded(
      "pay",
      [decline](const EffectAttempt& a) -> std::string {
        {
          std::unique_lock lock(seen->mutex);
          ++seen->at_gate;
          seen->opened.wait(lock, [] { return seen->gate_open; });
          seen->keys.insert(a.idempotency_key);
        }
        ++seen->gateway;
        if (decline) throw TerminalError("card declined", 402);
        return "ch_" + a.idempotency_key;
      },
      policy,
      [id](const Result<std::string>& charge, WriteSet& writes) {
        ++seen->records;
        seen->recorded = charge.ok() ? *charge : charge.error().message;
        writes.put("payments", id, charge.ok() ? "\"" + *charge + "\"" : "\"declined\"");
      });
  std::string charge;
  try {
    charge = co_await paid;
  } catch (const TerminalError& e) {
    charge = e.what();
  }
  seen->row_seen_after =
      ctx.run("look", [&] { return seen->harness->engine().read_row("payments", id).has_value(); });
  auto nap = ctx.sleep(20ms);
  co_await nap;
  co_return Text{charge};
}

class RecordedEffectsTest : public DurableEffectsTest {
 protected:
  void SetUp() override {
    DurableEffectsTest::SetUp();
    h.registry.add("Pay", "PayAndRecord", &pay_and_record);
  }
};

TEST_F(RecordedEffectsTest, TheLedgerRowIsThereExactlyWhenTheStepIsDone) {
  h.start();
  {
    std::lock_guard lock(observed.mutex);
    observed.gate_open = false;
  }
  auto id = h.start_invocation("Pay", "PayAndRecord", text_input("ok"));
  ASSERT_TRUE(h.await_durable_entries(id, 1));  // the effect's entry; the effect waits at the gate
  EXPECT_FALSE(h.engine().read_row("payments", id));
  EXPECT_EQ(observed.records, 0);
  {
    std::lock_guard lock(observed.mutex);
    observed.gate_open = true;
  }
  observed.opened.notify_all();
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"ch_)" + id + R"(/0"})");
  EXPECT_TRUE(observed.row_seen_after) << "the step was done before its row was durable";
  EXPECT_EQ(h.engine().read_row("payments", id), "\"ch_" + id + "/0\"");
  EXPECT_EQ(observed.records, 1);
}

TEST_F(RecordedEffectsTest, ATerminalFailureIsRecordedToo) {
  h.start();
  auto outcome = h.call("Pay", "PayAndRecord", text_input("decline"));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(observed.records, 1);
  EXPECT_EQ(observed.recorded, "card declined");
  EXPECT_EQ(h.engine().read_row("payments", outcome.invocation_id), "\"declined\"");
}

TEST_F(RecordedEffectsTest, AKilledInvocationsEffectIsNotRecorded) {
  h.start();
  {
    std::lock_guard lock(observed.mutex);
    observed.gate_open = false;
  }
  auto id = h.start_invocation("Pay", "PayAndRecord", text_input("ok"));
  ASSERT_TRUE(h.run_until([&] {
    std::lock_guard lock(observed.mutex);
    return observed.at_gate == 1;  // the effect is under way, at the gateway
  }));
  ASSERT_EQ(h.engine().kill(id), Engine::Control::kDone);
  {
    std::lock_guard lock(observed.mutex);
    observed.gate_open = true;
  }
  observed.opened.notify_all();
  ASSERT_TRUE(h.run_until([&] { return observed.gateway == 1; }));
  EXPECT_FALSE(h.run_until([&] { return observed.records > 0; }, 50ms));
  EXPECT_EQ(observed.records, 0);
  EXPECT_FALSE(h.engine().read_row("payments", id));
}

// Every batch its own transaction, and a crash after each in turn: at every crash point the
// ledger row and the step's completion are both on disk or both absent; the restart pays under
// the same key, and records only if the first record was lost, never twice in one lifetime.
TEST(RecordedEffectsCrashTest, TheRowAndTheOutcomeSurviveOrVanishTogetherAtEveryCrashPoint) {
  EngineOptions options;
  options.max_writes_per_batch = 1;
  std::size_t batches = 0;
  {
    Observed observed;
    EngineHarness h(options);
    seen = &observed;
    observed.harness = &h;
    h.registry.add_table("payments");
    h.registry.add("Pay", "PayAndRecord", &pay_and_record);
    h.start();
    ASSERT_TRUE(h.call("Pay", "PayAndRecord", text_input("ok")).ok);
    batches = h.batches_submitted();
  }
  ASSERT_GE(batches, 4u);
  for (std::size_t k = 0; k < batches; ++k) {
    SCOPED_TRACE("crash after batch " + std::to_string(k));
    Observed observed;
    EngineHarness h(options);
    seen = &observed;
    observed.harness = &h;
    h.registry.add_table("payments");
    h.registry.add("Pay", "PayAndRecord", &pay_and_record);
    h.start_crashing_after(k);
    auto id = h.engine().invoke("Pay", "PayAndRecord", text_input("ok"), {});
    ASSERT_TRUE(h.run_until([&] { return h.store_crashed(); }));
    h.crash();
    auto completions =
        h.query_int("SELECT count(*) FROM completions WHERE invocation_id = '" + id + "'");
    auto rows = h.query_int(
        "SELECT count(*) FROM rows WHERE tbl = 'payments' AND CAST(key AS TEXT) = '" + id + "'");
    EXPECT_EQ(completions, rows) << "a completion without its ledger row, or the reverse";
    const int records_before = observed.records;
    observed.records = 0;
    h.start();
    if (h.query_int("SELECT count(*) FROM invocations WHERE id = '" + id + "'") == 0) continue;
    auto outcome = h.await_outcome(id);
    ASSERT_TRUE(outcome.ok) << outcome.body;
    EXPECT_EQ(outcome.body, R"({"value":"ch_)" + id + R"(/0"})");
    EXPECT_EQ(observed.keys, std::set<std::string>{id + "/0"});  // one key across lifetimes
    EXPECT_EQ(observed.records, completions == 1 ? 0 : 1) << "recorded before: " << records_before;
    EXPECT_EQ(h.engine().read_row("payments", id), "\"ch_" + id + "/0\"");
  }
  seen = nullptr;
}

}  // namespace
}  // namespace orderd
