// The mock gateway behaves as a card processor does: idempotent per key, a void before the
// authorization tombstones it, captures and voids exclude each other, refunds only of a capture,
// and the test's knobs (refuse, flaky, latency) and counts (money, held).
#include "payments/mock_gateway.hpp"

#include <gtest/gtest.h>

#include "payments/manual_scheduler_test.hpp"

namespace orderd::payments {
namespace {

class MockGatewayTest : public ::testing::Test {
 protected:
  // One attempt of `op`: its answer if one was delivered by now, else nullopt.
  std::optional<GatewayReply> ask(const GatewayOperation& op, std::uint32_t attempt = 1) {
    EffectAttempt a;
    a.idempotency_key = "inv_1/" + std::to_string(++step_);
    a.attempt = attempt;
    a.post = [](std::function<void()> f) { f(); };
    Handoff<GatewayReply> reply(a);
    gateway.submit(op, a, reply.deliverer());
    clock.run(clock.now);
    if (!reply.await_ready()) return std::nullopt;
    return reply.await_resume();
  }
  static GatewayOperation op(PaymentOp type, const std::string& owner,
                             const std::string& method = "mock", std::uint32_t round = 1) {
    return {type, owner, method, 1250, "EUR", gateway_key(type, owner, round), ""};
  }
  std::string answer(const GatewayOperation& o, std::uint32_t attempt = 1) {
    auto r = ask(o, attempt);
    if (!r) return "(no answer)";
    return r->succeeded() ? "succeeded" : "declined:" + r->reason;
  }

  ManualScheduler clock;
  MockGatewayOptions options;
  MockGateway gateway{clock, options};
  int step_ = 0;
};

TEST_F(MockGatewayTest, TheSameKeyAnswersTheSameAndMovesMoneyOnce) {
  auto first = ask(op(PaymentOp::kAuthorize, "order:a"));
  auto again = ask(op(PaymentOp::kAuthorize, "order:a"));
  ASSERT_TRUE(first && again);
  EXPECT_TRUE(first->succeeded());
  EXPECT_EQ(*first, *again);
  EXPECT_EQ(gateway.money("order:a").authorized, 1u);
  EXPECT_TRUE(gateway.held("order:a"));
  // The key reused for another operation is refused, and changes nothing.
  GatewayOperation other = op(PaymentOp::kAuthorize, "order:a");
  other.amount = 99;
  EXPECT_EQ(answer(other), "declined:key_reused");
  EXPECT_EQ(gateway.money("order:a").authorized, 1u);
  // A decline is kept as well: asking again does not turn it into a success.
  gateway.refuse(PaymentOp::kCapture, 1);
  EXPECT_EQ(answer(op(PaymentOp::kCapture, "order:a")), "declined:refused");
  EXPECT_EQ(answer(op(PaymentOp::kCapture, "order:a")), "declined:refused");
  EXPECT_EQ(gateway.money("order:a").captured, 0u);
  // A new round is a new operation.
  EXPECT_EQ(answer(op(PaymentOp::kCapture, "order:a", "mock", 2)), "succeeded");
  EXPECT_EQ(gateway.money("order:a"), (MoneyCount{1, 1, 0, 0}));
  EXPECT_FALSE(gateway.held("order:a"));
}

TEST_F(MockGatewayTest, AVoidBeforeTheAuthorizationTombstonesIt) {
  // The saga was killed with its authorization on the way; the reclaim's void gets there first.
  auto voided = ask(op(PaymentOp::kVoid, "order:late"));
  ASSERT_TRUE(voided);
  EXPECT_TRUE(voided->succeeded());
  EXPECT_EQ(voided->message, "nothing to void");
  EXPECT_EQ(answer(op(PaymentOp::kAuthorize, "order:late")), "declined:authorization_voided");
  EXPECT_FALSE(gateway.held("order:late"));
  EXPECT_EQ(gateway.money("order:late"), (MoneyCount{0, 0, 1, 0}));
  // Nor can anything be captured under that owner.
  EXPECT_EQ(answer(op(PaymentOp::kCapture, "order:late")), "declined:authorization_voided");
}

TEST_F(MockGatewayTest, CaptureAndVoidExcludeEachOther) {
  ASSERT_EQ(answer(op(PaymentOp::kAuthorize, "order:v")), "succeeded");
  EXPECT_EQ(answer(op(PaymentOp::kVoid, "order:v")), "succeeded");
  EXPECT_EQ(answer(op(PaymentOp::kCapture, "order:v")), "declined:authorization_voided");
  EXPECT_FALSE(gateway.held("order:v"));

  ASSERT_EQ(answer(op(PaymentOp::kAuthorize, "order:c")), "succeeded");
  EXPECT_EQ(answer(op(PaymentOp::kCapture, "order:c")), "succeeded");
  // The caller learns it must refund instead.
  EXPECT_EQ(answer(op(PaymentOp::kVoid, "order:c")), "declined:already_captured");
  EXPECT_EQ(answer(op(PaymentOp::kRefund, "order:c")), "succeeded");
  EXPECT_EQ(answer(op(PaymentOp::kRefund, "order:c", "mock", 2)), "declined:already_refunded");
  EXPECT_EQ(gateway.money("order:c"), (MoneyCount{1, 1, 0, 1}));
}

TEST_F(MockGatewayTest, ARefundNeedsACapture) {
  ASSERT_EQ(answer(op(PaymentOp::kAuthorize, "order:held")), "succeeded");
  EXPECT_EQ(answer(op(PaymentOp::kRefund, "order:held")), "declined:nothing_captured");
  EXPECT_TRUE(gateway.held("order:held"));
}

// The mock lives in orderd's process: an owner it has never seen was dealt with before a
// restart, so its capture or refund is taken as one a processor would know of.
TEST_F(MockGatewayTest, AnOwnerFromBeforeARestartIsCapturedOrRefunded) {
  EXPECT_EQ(answer(op(PaymentOp::kCapture, "order:before")), "succeeded");
  EXPECT_EQ(answer(op(PaymentOp::kRefund, "order:refunded-before")), "succeeded");
  EXPECT_EQ(gateway.money("order:refunded-before").refunded, 1u);
  // A void still tombstones: a capture after it is declined.
  EXPECT_EQ(answer(op(PaymentOp::kVoid, "order:voided-first")), "succeeded");
  EXPECT_EQ(answer(op(PaymentOp::kCapture, "order:voided-first")), "declined:authorization_voided");
}

TEST_F(MockGatewayTest, RefuseDeclinesTheNextOperationsOfThatTypeOnly) {
  ASSERT_EQ(answer(op(PaymentOp::kAuthorize, "order:r")), "succeeded");
  ASSERT_EQ(answer(op(PaymentOp::kCapture, "order:r")), "succeeded");
  gateway.refuse(PaymentOp::kRefund, 2);
  ASSERT_EQ(answer(op(PaymentOp::kAuthorize, "order:other")), "succeeded");  // not a refund
  EXPECT_EQ(answer(op(PaymentOp::kRefund, "order:r")), "declined:refused");
  EXPECT_EQ(answer(op(PaymentOp::kRefund, "order:r", "mock", 2)), "declined:refused");
  EXPECT_EQ(answer(op(PaymentOp::kRefund, "order:r", "mock", 3)), "succeeded");
  EXPECT_EQ(gateway.money("order:r").refunded, 1u);
}

TEST_F(MockGatewayTest, MethodsDeclineAsTheyDidBefore) {
  EXPECT_TRUE(gateway.supports("mock"));
  EXPECT_TRUE(gateway.supports("mock_declined"));
  EXPECT_TRUE(gateway.supports("mock_flaky"));
  EXPECT_FALSE(gateway.supports("visa"));
  EXPECT_EQ(answer(op(PaymentOp::kAuthorize, "order:d", "mock_declined")),
            "declined:card_declined");
  EXPECT_FALSE(gateway.held("order:d"));
}

TEST_F(MockGatewayTest, DeclineRateIsDecidedByOwner) {
  options.decline_rate = 0.5;
  MockGateway half(clock, options);
  int declined = 0;
  for (int i = 0; i < 200; ++i) {
    EffectAttempt a;
    a.post = [](std::function<void()> f) { f(); };
    Handoff<GatewayReply> first(a), second(a);
    const std::string owner = "order:" + std::to_string(i);
    half.submit(op(PaymentOp::kAuthorize, owner), a, first.deliverer());
    // Another key, the same owner: the same decision (a retry under another key declines too).
    half.submit(op(PaymentOp::kAuthorize, owner, "mock", 2), a, second.deliverer());
    const bool no = !first.await_resume().succeeded();
    EXPECT_EQ(no, !second.await_resume().succeeded());
    declined += no;
  }
  EXPECT_GT(declined, 50);
  EXPECT_LT(declined, 150);
}

TEST_F(MockGatewayTest, AFlakyAttemptIsCarriedOutButItsAnswerLost) {
  // A last attempt that timed out may have authorized: the money is held until voided.
  EXPECT_EQ(answer(op(PaymentOp::kAuthorize, "order:f", "mock_flaky"), 1), "(no answer)");
  EXPECT_TRUE(gateway.held("order:f"));
  EXPECT_EQ(answer(op(PaymentOp::kAuthorize, "order:f", "mock_flaky"), 2), "(no answer)");
  EXPECT_EQ(answer(op(PaymentOp::kAuthorize, "order:f", "mock_flaky"), 3), "succeeded");
  EXPECT_EQ(gateway.money("order:f").authorized, 1u);
  EXPECT_EQ(answer(op(PaymentOp::kVoid, "order:f", "mock_flaky"), 3), "succeeded");
  EXPECT_FALSE(gateway.held("order:f"));
}

TEST_F(MockGatewayTest, LatencyDelaysTheAnswerNotTheOperation) {
  options.latency_ms = 400;
  MockGateway slow(clock, options);
  EffectAttempt a;
  a.post = [](std::function<void()> f) { f(); };
  Handoff<GatewayReply> reply(a);
  slow.submit(op(PaymentOp::kAuthorize, "order:s"), a, reply.deliverer());
  EXPECT_FALSE(reply.await_ready());
  EXPECT_TRUE(slow.held("order:s"));  // carried out on arrival
  clock.run(clock.now + 399);
  EXPECT_FALSE(reply.await_ready());
  clock.run(clock.now + 1);
  ASSERT_TRUE(reply.await_ready());
  EXPECT_TRUE(reply.await_resume().succeeded());
}

TEST_F(MockGatewayTest, ForgetsTheOldestOwnerPastItsLimit) {
  options.max_owners = 2;
  MockGateway small(clock, options);
  EffectAttempt a;
  a.post = [](std::function<void()> f) { f(); };
  for (const char* owner : {"order:1", "order:2", "order:3"}) {
    Handoff<GatewayReply> reply(a);
    small.submit(op(PaymentOp::kAuthorize, owner), a, reply.deliverer());
  }
  EXPECT_EQ(small.money("order:1"), MoneyCount{});
  EXPECT_EQ(small.money("order:3").authorized, 1u);
  EXPECT_EQ(small.operations(), 2u);
}

}  // namespace
}  // namespace orderd::payments
