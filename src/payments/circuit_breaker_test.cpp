// The circuit breaker, every transition with the clock in the test's hand, then the breaker in
// front of a gateway (BreakingGateway) as call_gateway drives it.
#include "payments/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "payments/breaking_gateway.hpp"
#include "payments/manual_scheduler_test.hpp"
#include "payments/mock_gateway.hpp"

namespace orderd::payments {
namespace {

CircuitBreaker three_in_a_row() {
  return CircuitBreaker(BreakerOptions{3, 1000});
}

// Fails `n` admitted calls at `now`.
void fail(CircuitBreaker& b, int n, std::int64_t now) {
  for (int i = 0; i < n; ++i) {
    auto pass = b.admit(now);
    ASSERT_TRUE(pass);
    b.failed(*pass, now);
  }
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresOnly) {
  CircuitBreaker b = three_in_a_row();
  fail(b, 2, 10);
  EXPECT_EQ(b.status(10).state, BreakerState::kClosed);
  EXPECT_EQ(b.status(10).consecutive_failures, 2u);
  // A success (or a decline: an answer all the same) in between starts the count again.
  auto ok = b.admit(11);
  ASSERT_TRUE(ok);
  b.succeeded(*ok, 11);
  EXPECT_EQ(b.status(11).consecutive_failures, 0u);
  fail(b, 2, 12);
  EXPECT_EQ(b.status(12).state, BreakerState::kClosed);
  fail(b, 1, 13);
  const BreakerStatus open = b.status(13);
  EXPECT_EQ(open.state, BreakerState::kOpen);
  EXPECT_EQ(open.consecutive_failures, 3u);
  EXPECT_EQ(open.opened_at_ms, 13);
}

TEST(CircuitBreaker, FailsFastWhileOpenThenLetsExactlyOneProbeThrough) {
  CircuitBreaker b = three_in_a_row();
  fail(b, 3, 100);
  EXPECT_FALSE(b.admit(100));
  EXPECT_FALSE(b.admit(1099));  // cooldown 1000 ms from 100
  EXPECT_EQ(b.status(1099).state, BreakerState::kOpen);
  EXPECT_EQ(b.status(1100).state, BreakerState::kHalfOpen);  // shown as it would admit
  auto probe = b.admit(1100);
  ASSERT_TRUE(probe);
  EXPECT_TRUE(probe->probe);
  // While the probe is out, nobody else goes through, however long it takes.
  EXPECT_FALSE(b.admit(1100));
  EXPECT_FALSE(b.admit(50'000));
  EXPECT_EQ(b.status(50'000).state, BreakerState::kHalfOpen);
  b.succeeded(*probe, 50'001);
  EXPECT_EQ(b.status(50'001).state, BreakerState::kClosed);
  EXPECT_EQ(b.status(50'001).consecutive_failures, 0u);
  auto after = b.admit(50'002);
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->probe);
}

TEST(CircuitBreaker, AFailedProbeOpensItAgainForAWholeCooldown) {
  CircuitBreaker b = three_in_a_row();
  fail(b, 3, 0);
  auto probe = b.admit(1000);
  ASSERT_TRUE(probe);
  b.failed(*probe, 1500);
  EXPECT_EQ(b.status(1500).state, BreakerState::kOpen);
  EXPECT_EQ(b.status(1500).opened_at_ms, 1500);
  EXPECT_FALSE(b.admit(2499));
  auto second = b.admit(2500);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->probe);
}

TEST(CircuitBreaker, EndsOfCallsFromBeforeItOpenedChangeNothing) {
  CircuitBreaker b = three_in_a_row();
  auto early_a = b.admit(0);
  auto early_b = b.admit(0);
  ASSERT_TRUE(early_a && early_b);
  fail(b, 3, 1);
  // Late answers of calls let through before it opened: it stays open...
  b.succeeded(*early_a, 2);
  EXPECT_EQ(b.status(2).state, BreakerState::kOpen);
  auto probe = b.admit(1001);
  ASSERT_TRUE(probe);
  // ...and in half_open only the probe's end counts.
  b.failed(*early_b, 1002);
  EXPECT_EQ(b.status(1002).state, BreakerState::kHalfOpen);
  EXPECT_FALSE(b.admit(1002));
  b.succeeded(*probe, 1003);
  EXPECT_EQ(b.status(1003).state, BreakerState::kClosed);
  // A stale failure after it closed again does not count towards opening it.
  b.failed(*early_b, 1004);
  EXPECT_EQ(b.status(1004).consecutive_failures, 0u);
}

TEST(CircuitBreaker, ZeroFailuresNeverOpens) {
  CircuitBreaker b(BreakerOptions{0, 1000});
  fail(b, 100, 0);
  EXPECT_EQ(b.status(0).state, BreakerState::kClosed);
}

TEST(CircuitBreaker, StatesHaveTheirHealthNames) {
  EXPECT_EQ(to_string(BreakerState::kClosed), "closed");
  EXPECT_EQ(to_string(BreakerState::kOpen), "open");
  EXPECT_EQ(to_string(BreakerState::kHalfOpen), "half_open");
}

// One attempt driven as the engine drives an effect: started, run to its end, or abandoned
// (destroyed without an answer, as a timeout does).
struct Attempt {
  Attempt(ManualScheduler& s, std::shared_ptr<PaymentGateway> gateway, GatewayOperation op,
          std::uint32_t number) {
    EffectAttempt attempt;
    attempt.idempotency_key = "inv_1/" + std::to_string(++counter);
    attempt.attempt = number;
    attempt.post = [&s](std::function<void()> f) { s.post(std::move(f)); };
    task = call_gateway(std::move(gateway), std::move(op), std::move(attempt));
    task.handle().resume();
  }
  bool done() const { return task.done(); }
  // The answer; or the failure's reason, as "!reason".
  std::string outcome() {
    try {
      GatewayReply r = task.take_result();
      return r.succeeded() ? "succeeded" : "declined:" + r.reason;
    } catch (const std::exception& e) {
      return std::string("!") + e.what();
    }
  }
  static inline int counter = 0;
  Task<GatewayReply> task;
};

GatewayOperation authorize(const std::string& owner, const std::string& method = "mock") {
  return {PaymentOp::kAuthorize,
          owner,
          method,
          100,
          "EUR",
          gateway_key(PaymentOp::kAuthorize, owner),
          ""};
}

TEST(BreakingGateway, TimeoutsOpenItDeclinesDoNotAndTheProbeClosesIt) {
  ManualScheduler clock;
  MockGatewayOptions options;
  options.flaky_timeouts = 1;  // a mock_flaky attempt 1 never answers
  options.latency_ms = 10;     // answers come later: a probe is out for a while
  auto mock = std::make_shared<MockGateway>(clock, options);
  auto breaker = std::make_shared<CircuitBreaker>(BreakerOptions{2, 5000});
  auto gateway = std::make_shared<BreakingGateway>(mock, breaker, clock);

  // Declines are answers: any number of them leave it closed.
  for (int i = 0; i < 5; ++i) {
    Attempt declined(clock, gateway, authorize("order:d" + std::to_string(i), "mock_declined"), 1);
    clock.run(clock.now + 10);
    ASSERT_TRUE(declined.done());
    EXPECT_EQ(declined.outcome(), "declined:card_declined");
  }
  EXPECT_EQ(breaker->status(clock.now).state, BreakerState::kClosed);

  // Two attempts that never answer, abandoned by their timeouts: open.
  {
    Attempt lost_a(clock, gateway, authorize("order:f1", "mock_flaky"), 1);
    Attempt lost_b(clock, gateway, authorize("order:f2", "mock_flaky"), 1);
    clock.run(clock.now + 10);
    EXPECT_FALSE(lost_a.done());
    EXPECT_FALSE(lost_b.done());
  }  // destroyed unanswered
  EXPECT_EQ(breaker->status(clock.now).state, BreakerState::kOpen);

  // Open: an attempt fails at once, recognisably, and never reaches the gateway.
  const std::size_t asked = mock->operations();
  Attempt refused(clock, gateway, authorize("order:r"), 1);
  clock.run(clock.now);
  ASSERT_TRUE(refused.done());
  const std::string why = refused.outcome();
  EXPECT_NE(why.find(kBreakerRefusal), std::string::npos) << why;
  EXPECT_EQ(mock->operations(), asked);
  EXPECT_EQ(mock->money("order:r"), MoneyCount{});
  Error effect_failure = Error::of(ErrorCode::kUpstreamFailed,
                                   "effect 'authorize' failed after 3 attempts: " + why.substr(1));
  EXPECT_TRUE(refused_by_breaker(effect_failure));
  const Error shown = payment_unavailable(effect_failure);
  EXPECT_EQ(shown.status, 503);
  EXPECT_EQ(shown.reason, "payment_unavailable");
  EXPECT_EQ(payment_unavailable(Error::of(ErrorCode::kDeadlineExceeded, "timed out")).status, 504);

  // After the cooldown: one probe; a second attempt meanwhile is refused; the probe's answer
  // closes it.
  clock.run(clock.now + 5000);
  Attempt probe(clock, gateway, authorize("order:p"), 2);
  Attempt beside(clock, gateway, authorize("order:q"), 1);
  clock.run(clock.now);
  EXPECT_FALSE(probe.done());
  ASSERT_TRUE(beside.done());  // refused at once
  EXPECT_EQ(breaker->status(clock.now).state, BreakerState::kHalfOpen);
  clock.run(clock.now + 10);
  ASSERT_TRUE(probe.done());
  EXPECT_EQ(probe.outcome(), "succeeded");
  EXPECT_EQ(beside.outcome().rfind("!", 0), 0u);
  EXPECT_EQ(breaker->status(clock.now).state, BreakerState::kClosed);
  EXPECT_EQ(mock->money("order:p").authorized, 1u);
  EXPECT_EQ(mock->money("order:q").authorized, 0u);
}

TEST(BreakingGateway, ARefusedAttemptIsNotCountedAsTheGatewaysFailure) {
  ManualScheduler clock;
  auto mock = std::make_shared<MockGateway>(clock, MockGatewayOptions{});
  auto breaker = std::make_shared<CircuitBreaker>(BreakerOptions{1, 5000});
  auto gateway = std::make_shared<BreakingGateway>(mock, breaker, clock);
  { Attempt lost(clock, gateway, authorize("order:f", "mock_flaky"), 1); }
  ASSERT_EQ(breaker->status(clock.now).state, BreakerState::kOpen);
  const std::int64_t opened = breaker->status(clock.now).opened_at_ms;
  for (int i = 0; i < 3; ++i) {
    clock.run(clock.now + 1000);
    Attempt refused(clock, gateway, authorize("order:r"), 1);
    clock.run(clock.now);
  }
  // Refusals did not re-open it (its cooldown counts from when it opened).
  EXPECT_EQ(breaker->status(clock.now).opened_at_ms, opened);
  clock.run(opened + 5000);
  Attempt probe(clock, gateway, authorize("order:r"), 2);
  clock.run(clock.now);
  EXPECT_EQ(probe.outcome(), "succeeded");
}

TEST(BreakingGateway, AProbeWithoutAnAnswerOpensItAgain) {
  ManualScheduler clock;
  auto mock = std::make_shared<MockGateway>(clock, MockGatewayOptions{});
  auto breaker = std::make_shared<CircuitBreaker>(BreakerOptions{1, 5000});
  auto gateway = std::make_shared<BreakingGateway>(mock, breaker, clock);
  { Attempt lost(clock, gateway, authorize("order:f", "mock_flaky"), 1); }
  clock.run(clock.now + 5000);
  {
    Attempt probe(clock, gateway, authorize("order:g", "mock_flaky"), 1);
    EXPECT_EQ(breaker->status(clock.now).state, BreakerState::kHalfOpen);
  }  // its timeout
  EXPECT_EQ(breaker->status(clock.now).state, BreakerState::kOpen);
  EXPECT_EQ(breaker->status(clock.now).opened_at_ms, clock.now);
}

}  // namespace
}  // namespace orderd::payments
