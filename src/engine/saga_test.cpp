// Saga ergonomics: settle() gives value-or-error without a catch, a Waiter yields the future that
// completed, and a compensation stack undoes what succeeded, last first, on a failure or a cancel,
// with each undo a durable step that a crash never repeats.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "common/money.hpp"
#include "engine/compensations.hpp"
#include "engine/registry.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using testing::Text;
using testing::text_input;

std::vector<std::string> undone;    // undo steps as they executed (not replayed)
std::map<std::string, int> booked;  // forward steps as they executed

Task<Text> book(Context& ctx, Text in) {
  ctx.run("book", [&in] { return ++booked[in.value]; });
  if (in.value == "payment-declined")
    throw TerminalError(ErrorCode::kPaymentRequired, "declined", "payment_declined");
  co_return Text{"booked " + in.value};
}

Task<Text> unbook(Context& ctx, Text in) {
  ctx.run("unbook", [&in] {
    undone.push_back(in.value);
    return 0;
  });
  auto nap = ctx.sleep(50ms);  // a crash point between two undos
  co_await nap;
  co_return Text{"unbooked " + in.value};
}

// Flight, hotel, car, then payment; `in.value` says what goes wrong.
Task<Text> trip(Context& ctx, Text in) {
  Compensations undo(ctx);
  for (std::string leg : {"flight", "hotel", "car"}) {
    auto booked_leg = ctx.call<Text>("Travel", "Book", Text{leg});
    auto settled = booked_leg.settle();
    Result<Text> got = co_await settled;
    if (!got) co_return Text{"failed at " + leg};
    undo.push("cancel " + leg,
              [leg](Context& c) { return c.call<Text>("Travel", "Unbook", Text{leg}); });
  }
  auto pay = ctx.call<Text>("Travel", "Book", Text{in.value});
  auto paying = pay.settle();
  Result<Text> paid = co_await paying;
  if (!paid) {
    auto unwind = undo.run();
    std::optional<Error> undo_failed = co_await std::move(unwind);
    if (undo_failed) co_return Text{"compensation failed"};
    throw TerminalError(paid.error());
  }
  undo.clear();
  co_return Text{"trip booked"};
}

class SagaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    undone.clear();
    booked.clear();
    h.registry.add("Travel", "Book", &book);
    h.registry.add("Travel", "Unbook", &unbook);
    h.registry.add("Travel", "Trip", &trip);
  }
  EngineHarness h;
};

TEST_F(SagaTest, AFailureUndoesWhatSucceededLastFirst) {
  h.start();
  auto outcome = h.call("Travel", "Trip", text_input("payment-declined"));
  ASSERT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.code, 402);
  EXPECT_EQ(outcome.error.reason, "payment_declined");  // the cause, carried through settle()
  EXPECT_EQ(undone, (std::vector<std::string>{"car", "hotel", "flight"}));
}

TEST_F(SagaTest, ASuccessUndoesNothing) {
  h.start();
  auto outcome = h.call("Travel", "Trip", text_input("payment"));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"trip booked"})");
  EXPECT_TRUE(undone.empty());
}

TEST_F(SagaTest, ACrashDuringCompensationRunsNoUndoTwice) {
  h.start();
  auto id = h.start_invocation("Travel", "Trip", text_input("payment-declined"));
  // The first undo (car) executed and its child sleeps: crash then.
  ASSERT_TRUE(h.run_until([] { return undone.size() == 1; }));
  ASSERT_TRUE(h.run_until([&] {
    return h.query_int(
               "SELECT count(*) FROM journal j JOIN invocations i ON i.id = "
               "j.invocation_id WHERE i.handler = 'Unbook' AND j.kind = 3") == 1;
  }));
  h.crash();
  h.start();
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.code, 402);
  EXPECT_EQ(undone, (std::vector<std::string>{"car", "hotel", "flight"}));
  for (const auto& [leg, n] : booked) EXPECT_EQ(n, 1) << leg << " was booked twice";
}

// Books the flight, then waits for a long time: an operator's cancel arrives meanwhile.
Task<Text> slow_trip(Context& ctx, Text) {
  Compensations undo(ctx);
  auto flight = ctx.call<Text>("Travel", "Book", Text{"flight"});
  co_await flight;
  undo.push("cancel flight",
            [](Context& c) { return c.call<Text>("Travel", "Unbook", Text{"flight"}); });
  auto wait = ctx.sleep(10s);
  auto waiting = wait.settle();
  Result<void> waited = co_await waiting;
  if (!waited) {
    auto unwind = undo.run();
    co_await std::move(unwind);
    throw TerminalError(waited.error());
  }
  co_return Text{"done"};
}

TEST_F(SagaTest, ACancelUnwindsTheCompensationsToo) {
  h.registry.add("Travel", "SlowTrip", &slow_trip);
  h.start();
  auto id = h.start_invocation("Travel", "SlowTrip", text_input(""));
  ASSERT_TRUE(h.run_until([] { return booked.count("flight") == 1; }));
  ASSERT_TRUE(h.await_durable_entries(id, 2));  // the call and the sleep
  EXPECT_EQ(h.engine().cancel(id), Engine::Control::kDone);
  auto outcome = h.await_outcome(id);
  EXPECT_EQ(outcome.error.code, ErrorCode::kCancelled);
  EXPECT_EQ(undone, (std::vector<std::string>{"flight"}));
}

// The waiter yields the future that completed, by identity.
Task<Text> race(Context& ctx, Text) {
  auto slow = ctx.sleep(80ms);
  auto fast = ctx.call<Text>("Travel", "Book", Text{"fast"});
  Waiter waiter = ctx.wait(slow, fast);
  std::string order;
  for (;;) {
    auto next = waiter.next();
    std::optional<Completed> done = co_await std::move(next);
    if (!done) break;
    order += *done == fast ? "fast " : "slow ";
    EXPECT_TRUE(done->is(fast) || done->is(slow));
  }
  co_return Text{order};
}

TEST_F(SagaTest, AWaiterYieldsTheFutureThatCompleted) {
  h.registry.add("Travel", "Race", &race);
  h.start();
  auto outcome = h.call("Travel", "Race", text_input(""));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"fast slow "})");
}

// An undo that cannot even start (its handler is gone) does not stop the others.
Task<Text> trip_with_a_broken_undo(Context& ctx, Text) {
  Compensations undo(ctx);
  auto flight = ctx.call<Text>("Travel", "Book", Text{"flight"});
  co_await flight;
  undo.push("cancel flight",
            [](Context& c) { return c.call<Text>("Travel", "Unbook", Text{"flight"}); });
  undo.push("cancel hotel",
            [](Context& c) { return c.call<Text>("Travel", "NoSuchHandler", Text{"hotel"}); });
  auto unwind = undo.run();
  std::optional<Error> failed = co_await std::move(unwind);
  co_return Text{failed ? std::string(failed->reason_or_category()) : "all undone"};
}

TEST_F(SagaTest, AnUndoThatCannotStartStopsNoOther) {
  h.registry.add("Travel", "BrokenUndo", &trip_with_a_broken_undo);
  h.start();
  auto outcome = h.call("Travel", "BrokenUndo", text_input(""));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"not_found"})");
  EXPECT_EQ(undone, (std::vector<std::string>{"flight"}));
}

TEST(Money, ArithmeticKeepsTheCurrencyAndRefusesOverflow) {
  Money price(1999, "USD");
  EXPECT_EQ(price.times(3), Money(5997, "USD"));
  EXPECT_EQ((price.times(3) - Money(997, "USD")).minor(), 5000);
  EXPECT_EQ(price.to_string(), "19.99 USD");
  EXPECT_EQ(Money(5, "USD").to_string(), "0.05 USD");
  EXPECT_EQ(Money(-150, "EUR").to_string(), "-1.50 EUR");
  EXPECT_EQ(Money(1999, "JPY").to_string(), "1999 JPY");
  EXPECT_EQ(Money(1234, "KWD").to_string(), "1.234 KWD");
  EXPECT_THROW(price + Money(1, "EUR"), std::domain_error);
  EXPECT_THROW(Money(INT64_MAX / 2 + 1, "USD").times(2), std::domain_error);
  EXPECT_EQ(parse_currency("usd").value_or(""), "USD");
  EXPECT_FALSE(parse_currency("US"));
  EXPECT_FALSE(parse_currency("U$D"));
}

}  // namespace
}  // namespace orderd
