// The payments parts as a saga uses them, over the real engine: the intent and the authorization
// decided in a transact step, the gateway called through Context::run_async (call_gateway), the
// outcome recorded, then what is owed compensated until nothing is. (The lead's saga records
// inside run_async_recorded's `record` instead of the transact step after the effect.)
#include <gtest/gtest.h>

#include "engine/registry.hpp"
#include "payments/breaking_gateway.hpp"
#include "payments/mock_gateway.hpp"
#include "payments/payment_ledger.hpp"
#include "support/engine_harness.hpp"
#include "support/text_value.hpp"

namespace orderd::payments {
namespace {

using namespace std::chrono_literals;
using testing::EngineHarness;
using testing::Text;
using testing::text_input;

struct World {
  std::shared_ptr<MockGateway> mock;
  std::shared_ptr<CircuitBreaker> breaker;
  std::shared_ptr<PaymentGateway> gateway;
  PaymentLedger ledger;
};
World* world = nullptr;

template <class T>
T or_throw(std::variant<T, Error> decided) {
  if (auto* error = std::get_if<Error>(&decided)) throw TerminalError(std::move(*error));
  return std::get<T>(std::move(decided));
}

Future<GatewayReply> send(Context& ctx, const char* name, const GatewayOperation& op,
                          RunPolicy policy) {
  auto gateway = world->gateway;
  auto call = [gateway, op](const EffectAttempt& attempt) {
    return call_gateway(gateway, op, attempt);
  };
  return ctx.run_async(name, std::move(call), policy);
}

void record(Context& ctx, const GatewayOperation& op, const Result<GatewayReply>& reply) {
  ctx.transact("record", [&](WriteSet& writes) {
    or_throw(world->ledger.record(op, reply, ctx.clock_ms(), writes));
    return 0;
  });
}

// Authorizes "order:<value>" (method mock unless the value names one), then gives up the
// purchase: answers how the authorization ended, and leaves nothing held.
Task<Text> authorize_then_give_up(Context& ctx, Text in) {
  const std::string owner = "order:" + in.value;
  const std::string method = in.value.rfind("mock", 0) == 0 ? in.value : "mock";
  GatewayOperation authorization = ctx.transact("intend", [&](WriteSet& writes) {
    or_throw(world->ledger.intend(owner, method, 500, "EUR", ctx.clock_ms(), writes));
    return or_throw(world->ledger.authorize(owner, ctx.clock_ms(), writes));
  });
  RunPolicy authorize_policy;
  authorize_policy.timeout = 30ms;
  authorize_policy.max_attempts = 2;
  authorize_policy.initial_backoff = 1ms;
  Future<GatewayReply> authorizing = send(ctx, "authorize", authorization, authorize_policy);
  auto settling = authorizing.settle();
  Result<GatewayReply> reply = co_await settling;
  record(ctx, authorization, reply);
  std::string answer = reply ? (reply->succeeded() ? "authorized" : "declined")
                             : std::to_string(payment_unavailable(reply.error()).status);

  RunPolicy settle_policy = authorize_policy;
  settle_policy.max_attempts = 0;  // until it is answered
  for (;;) {
    GatewayOperation owed = ctx.run("owed", [&] {
      Compensation c = world->ledger.compensation_for(owner);
      const bool send =
          c.action == Compensation::Action::kVoid || c.action == Compensation::Action::kRefund;
      return send ? c.operation : GatewayOperation{};
    });
    if (owed.owner.empty()) break;
    Future<GatewayReply> compensating = send(ctx, "compensate", owed, settle_policy);
    auto compensated = compensating.settle();
    Result<GatewayReply> got = co_await compensated;
    record(ctx, owed, got);
  }
  co_return Text{answer};
}

class PaymentsOverTheEngine : public ::testing::Test {
 protected:
  void start(BreakerOptions breaker) {
    h.registry.add_table(PaymentLedger::kPaymentsTable);
    h.registry.add_table(PaymentLedger::kRecordsTable);
    h.registry.add("Pay", "AuthorizeThenGiveUp", &authorize_then_give_up);
    h.start();
    MockGatewayOptions options;
    options.flaky_timeouts = 2;
    state.mock = std::make_shared<MockGateway>(h.scheduler(), options);
    state.breaker = std::make_shared<CircuitBreaker>(breaker);
    state.gateway = std::make_shared<BreakingGateway>(state.mock, state.breaker, h.scheduler());
    world = &state;
  }
  void TearDown() override { world = nullptr; }
  EngineHarness h;
  World state;
};

// Issue 16: a last authorize attempt that times out may have authorized; it is voided, once.
TEST_F(PaymentsOverTheEngine, ALastAuthorizeAttemptThatTimesOutIsVoided) {
  start(BreakerOptions{0, 1000});
  auto outcome = h.call("Pay", "AuthorizeThenGiveUp", text_input("mock_flaky"));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"504"})");
  EXPECT_EQ(state.mock->money("order:mock_flaky"), (MoneyCount{1, 0, 1, 0}));
  EXPECT_FALSE(state.mock->held("order:mock_flaky"));
  EXPECT_EQ(state.ledger.payment("order:mock_flaky")->status, PaymentStatus::kVoided);
  EXPECT_EQ(h.query_int("SELECT COUNT(*) FROM rows WHERE tbl = 'payment_records'"), 2);
}

// The breaker open: the authorization fails fast as 503 payment_unavailable, never reaching the
// gateway; its void waits for the probe and tombstones the owner.
TEST_F(PaymentsOverTheEngine, AnOpenBreakerFailsTheAuthorizationWith503) {
  start(BreakerOptions{1, 200});
  auto pass = state.breaker->admit(h.scheduler().now_ms());
  state.breaker->failed(*pass, h.scheduler().now_ms());
  ASSERT_EQ(state.breaker->status(h.scheduler().now_ms()).state, BreakerState::kOpen);
  auto outcome = h.call("Pay", "AuthorizeThenGiveUp", text_input("b1"));
  ASSERT_TRUE(outcome.ok) << outcome.body;
  EXPECT_EQ(outcome.body, R"({"value":"503"})");
  EXPECT_EQ(state.mock->money("order:b1"), (MoneyCount{0, 0, 1, 0}));
  EXPECT_EQ(state.ledger.payment("order:b1")->status, PaymentStatus::kVoided);
  EXPECT_EQ(state.breaker->status(h.scheduler().now_ms()).state, BreakerState::kClosed);
}

}  // namespace
}  // namespace orderd::payments
