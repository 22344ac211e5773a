// Operator controls a domain relies on: a purge a domain's guard refuses (by hand and by the
// retention sweep), and a cancel that is journaled once and answered once durable.
#include <gtest/gtest.h>

#include "engine/registry.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using testing::Text;
using testing::text_input;

Task<Text> echo(Context&, Text in) {
  co_return in;
}

// Waits an hour unless cancelled. Cancelled, it compensates: it waits for the outside world
// (an awakeable the test completes), and a second cancel met there would stop it half-way.
std::string compensation;  // the awakeable the compensation waits for
Task<Text> wait_long(Context& ctx, Text) {
  auto nap = ctx.sleep(std::chrono::hours(1));
  try {
    co_await nap;
    co_return Text{"woke"};
  } catch (const TerminalError&) {
  }
  auto undone = ctx.awakeable<std::string>();
  compensation = undone.id;
  std::string how = co_await undone.future;
  co_return Text{"compensated " + how};
}

// Refuses to let invocations of "Ledger" go while `open` (a payment not reconciled).
struct LedgerGuard {
  bool open = true;
  int asked = 0;
  std::optional<Error> operator()(const store::InvocationRecord& r) {
    if (r.service != "Ledger") return std::nullopt;
    ++asked;
    if (!open) return std::nullopt;
    return Error::of(ErrorCode::kConflict, "payment " + r.id + " is not reconciled",
                     "payment_unreconciled");
  }
};

class OperatorControlsTest : public ::testing::Test {
 protected:
  explicit OperatorControlsTest(EngineOptions options = {}) : h(std::move(options)) {
    h.registry.add("Ledger", "Echo", &echo);
    h.registry.add("Other", "Echo", &echo);
    h.registry.add("Slow", "Wait", &wait_long);
  }
  void add_guard() {
    h.engine().add_purge_guard([this](const store::InvocationRecord& r) { return guard(r); });
  }
  std::int64_t cancels(const std::string& id) {
    return h.query_int("SELECT count(*) FROM journal WHERE kind = 5 AND invocation_id = '" + id +
                       "'");
  }
  LedgerGuard guard;
  EngineHarness h;
};

TEST_F(OperatorControlsTest, APurgeTheGuardRefusesLeavesTheInvocationWhole) {
  h.start();
  add_guard();
  auto ledger = h.call("Ledger", "Echo", text_input("x"));
  auto other = h.call("Other", "Echo", text_input("y"));
  ASSERT_TRUE(ledger.ok && other.ok);

  Error refusal;
  EXPECT_EQ(h.engine().purge(ledger.invocation_id, &refusal), Engine::Control::kRefused);
  EXPECT_EQ(refusal.reason, "payment_unreconciled");
  EXPECT_EQ(refusal.message, "payment " + ledger.invocation_id + " is not reconciled");
  EXPECT_EQ(h.engine().purge(ledger.invocation_id), Engine::Control::kRefused);  // no out-param
  bool flushed = false;  // whatever the refused purges wrote would be durable by then
  h.engine().after_durable([&] { flushed = true; });
  ASSERT_TRUE(h.run_until([&] { return flushed; }));
  auto kept = h.engine().describe(ledger.invocation_id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->record.output, ledger.body);

  EXPECT_EQ(h.engine().purge(other.invocation_id), Engine::Control::kDone);  // not its concern
  guard.open = false;
  EXPECT_EQ(h.engine().purge(ledger.invocation_id), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return !h.engine().describe(ledger.invocation_id); }));
}

class SweptControlsTest : public OperatorControlsTest {
 protected:
  static EngineOptions swept() {
    EngineOptions o;
    o.journal_retention_ms = 0;
    o.idempotency_retention_ms = 0;
    o.sweep_interval_ms = 5;
    return o;
  }
  SweptControlsTest() : OperatorControlsTest(swept()) {}
};

TEST_F(SweptControlsTest, TheRetentionSweepSkipsWhatAGuardRefusesAndTakesItLater) {
  h.start();
  add_guard();
  auto ledger = h.call("Ledger", "Echo", text_input("x"));
  auto other = h.call("Other", "Echo", text_input("y"));
  ASSERT_TRUE(ledger.ok && other.ok);
  // The sweep that took the other one (finished later) met the ledger's too, and left it.
  ASSERT_TRUE(h.run_until([&] { return !h.engine().describe(other.invocation_id); }));
  EXPECT_TRUE(h.engine().describe(ledger.invocation_id));
  // Asked again at a later sweep, refused again: still there.
  ASSERT_TRUE(h.run_until([&] { return guard.asked >= 2; }));
  EXPECT_TRUE(h.engine().describe(ledger.invocation_id));
  guard.open = false;
  EXPECT_TRUE(h.run_until([&] { return !h.engine().describe(ledger.invocation_id); }));
}

TEST_F(OperatorControlsTest, ASecondCancelJournalsNothingAndIsAnsweredOnceTheFirstIsDurable) {
  h.start();
  compensation.clear();
  auto id = h.start_invocation("Slow", "Wait", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 1));  // asleep
  int answered = 0;
  std::int64_t durable_when_answered = -1;
  auto on_durable = [&] {
    ++answered;
    durable_when_answered = cancels(id);
  };
  ASSERT_EQ(h.engine().cancel(id, on_durable), Engine::Control::kDone);
  ASSERT_EQ(h.engine().cancel(id, on_durable), Engine::Control::kDone);  // the same turn
  EXPECT_EQ(answered, 0);                                                // nothing is durable yet
  ASSERT_TRUE(h.run_until([&] { return answered == 2 && !compensation.empty(); }));
  EXPECT_EQ(durable_when_answered, 1);  // each answer saw the cancel on disk
  // While it compensates: the old engine journaled this one too, and stopped the compensation.
  ASSERT_EQ(h.engine().cancel(id, on_durable), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return answered == 3; }));
  ASSERT_EQ(h.engine().complete_awakeable(compensation, false, 0, R"("refunded")", [] {}),
            Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"compensated refunded"})");
  // Finished since: a repeat is still answered as done, and still journals nothing.
  ASSERT_EQ(h.engine().cancel(id, on_durable), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return answered == 4; }));
  EXPECT_EQ(cancels(id), 1);
  // A finished invocation nobody cancelled is still the wrong state.
  auto done = h.call("Other", "Echo", text_input("z"));
  EXPECT_EQ(h.engine().cancel(done.invocation_id), Engine::Control::kWrongState);
}

// The attack: the store never makes the cancel durable. The old engine answered at once, and the
// caller, told it was cancelled, would never know a crash had lost it.
TEST_F(OperatorControlsTest, ACancelIsNotAnsweredBeforeItIsDurable) {
  h.start();
  auto id = h.start_invocation("Slow", "Wait", text_input(""));
  ASSERT_TRUE(h.await_durable_entries(id, 1));
  h.lose_power_now();
  const auto submitted = h.batches_submitted();
  bool answered = false;
  ASSERT_EQ(h.engine().cancel(id, [&] { answered = true; }), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return h.batches_submitted() > submitted; }));
  EXPECT_FALSE(h.run_until([&] { return answered; }, 50ms));
  h.crash();
  EXPECT_EQ(cancels(id), 0);  // lost, and nobody was told otherwise
  h.start();
  bool again = false;
  compensation.clear();
  ASSERT_EQ(h.engine().cancel(id, [&] { again = true; }), Engine::Control::kDone);
  ASSERT_TRUE(h.run_until([&] { return !compensation.empty(); }));
  ASSERT_EQ(h.engine().complete_awakeable(compensation, false, 0, R"("refunded")", [] {}),
            Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  EXPECT_TRUE(again);
  EXPECT_EQ(outcome.body, R"({"value":"compensated refunded"})");
  EXPECT_EQ(cancels(id), 1);
}

}  // namespace
}  // namespace orderd
