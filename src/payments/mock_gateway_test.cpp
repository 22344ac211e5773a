// The mock gateway behaves as a card processor does: idempotent per key, a void before the
// authorization tombstones it, captures and voids exclude each other, refunds only of a capture,
// and the test's knobs (refuse, flaky, latency) and counts (money, held).
#include "payments/mock_gateway.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "payments/manual_scheduler_test.hpp"
#include "support/temp_dir.hpp"

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

// ---- The state file (--mock-gateway-state): the processor outlives orderd ---------------------

class MockGatewayStateTest : public ::testing::Test {
 protected:
  std::string file() const { return (dir.path() / "gateway.jsonl").string(); }
  std::unique_ptr<MockGateway> open_gateway() {
    MockGatewayOptions with_file;
    with_file.state_file = file();
    return std::make_unique<MockGateway>(clock, with_file);
  }
  std::optional<GatewayReply> ask(MockGateway& gateway, const GatewayOperation& op,
                                  std::uint32_t attempt = 1) {
    EffectAttempt a;
    a.idempotency_key = "inv_1/1";
    a.attempt = attempt;
    a.post = [](std::function<void()> f) { f(); };
    Handoff<GatewayReply> reply(a);
    gateway.submit(op, a, reply.deliverer());
    clock.run(clock.now);
    if (!reply.await_ready()) return std::nullopt;
    return reply.await_resume();
  }
  std::string answer(MockGateway& gateway, const GatewayOperation& op, std::uint32_t attempt = 1) {
    auto r = ask(gateway, op, attempt);
    if (!r) return "(no answer)";
    return r->succeeded() ? "succeeded" : "declined:" + r->reason;
  }
  static GatewayOperation op(PaymentOp type, const std::string& owner,
                             const std::string& method = "mock", std::uint32_t round = 1) {
    return {type, owner, method, 1250, "EUR", gateway_key(type, owner, round), ""};
  }

  orderd::testing::TempDir dir;
  ManualScheduler clock;
};

// orderd is killed and started again: the new gateway is the processor it was, and the file
// counts what it did.
TEST_F(MockGatewayStateTest, ARestartedGatewayAnswersTheSameAndKeepsTheMoney) {
  std::optional<GatewayReply> authorized;
  std::size_t operations = 0;
  {
    auto before = open_gateway();
    authorized = ask(*before, op(PaymentOp::kAuthorize, "order:a"));
    ASSERT_TRUE(authorized && authorized->succeeded());
    ASSERT_EQ(answer(*before, op(PaymentOp::kCapture, "order:a")), "succeeded");
    ASSERT_EQ(answer(*before, op(PaymentOp::kVoid, "order:late")), "succeeded");  // tombstone
    ASSERT_EQ(answer(*before, op(PaymentOp::kAuthorize, "order:r")), "succeeded");
    ASSERT_EQ(answer(*before, op(PaymentOp::kCapture, "order:r")), "succeeded");
    ASSERT_EQ(answer(*before, op(PaymentOp::kRefund, "order:r")), "succeeded");
    before->refuse(PaymentOp::kVoid, 1);
    ASSERT_EQ(answer(*before, op(PaymentOp::kAuthorize, "order:h")), "succeeded");
    ASSERT_EQ(answer(*before, op(PaymentOp::kVoid, "order:h")), "declined:refused");
    // Carried out, its answer lost: the retry after the restart must find it made.
    ASSERT_EQ(answer(*before, op(PaymentOp::kAuthorize, "order:f", "mock_flaky"), 1),
              "(no answer)");
    operations = before->operations();
  }  // orderd's process ends; the file stays

  auto after = open_gateway();
  EXPECT_EQ(after->operations(), operations);
  // The same key answers the same, reference included, and moves nothing again.
  EXPECT_EQ(ask(*after, op(PaymentOp::kAuthorize, "order:a")), authorized);
  EXPECT_EQ(after->money("order:a"), (MoneyCount{1, 1, 0, 0}));
  EXPECT_EQ(answer(*after, op(PaymentOp::kCapture, "order:a", "mock", 2)),
            "declined:already_captured");
  EXPECT_EQ(answer(*after, op(PaymentOp::kVoid, "order:a")), "declined:already_captured");
  // The tombstone is kept: the late authorization never holds money.
  EXPECT_EQ(answer(*after, op(PaymentOp::kAuthorize, "order:late")),
            "declined:authorization_voided");
  EXPECT_FALSE(after->held("order:late"));
  // Refunded once: the same key answers succeeded, a new one already_refunded.
  EXPECT_EQ(answer(*after, op(PaymentOp::kRefund, "order:r")), "succeeded");
  EXPECT_EQ(answer(*after, op(PaymentOp::kRefund, "order:r", "mock", 2)),
            "declined:already_refunded");
  EXPECT_EQ(after->money("order:r"), (MoneyCount{1, 1, 0, 1}));
  // A decline is kept as a decline; the money it left is still held.
  EXPECT_EQ(answer(*after, op(PaymentOp::kVoid, "order:h")), "declined:refused");
  EXPECT_TRUE(after->held("order:h"));
  EXPECT_EQ(answer(*after, op(PaymentOp::kVoid, "order:h", "mock", 2)), "succeeded");
  EXPECT_FALSE(after->held("order:h"));
  // The flaky authorization was made before the restart: its retry is answered, once.
  EXPECT_TRUE(after->held("order:f"));
  EXPECT_EQ(answer(*after, op(PaymentOp::kAuthorize, "order:f", "mock_flaky"), 3), "succeeded");
  EXPECT_EQ(after->money("order:f").authorized, 1u);

  // What a test of the real binary counts: every operation carried out, once.
  const auto counted = read_gateway_state(file());
  EXPECT_EQ(counted.at("order:a"), (MoneyCount{1, 1, 0, 0}));
  EXPECT_EQ(counted.at("order:late"), (MoneyCount{0, 0, 1, 0}));
  EXPECT_EQ(counted.at("order:r"), (MoneyCount{1, 1, 0, 1}));
  EXPECT_EQ(counted.at("order:h"), (MoneyCount{1, 0, 1, 0}));
  EXPECT_EQ(counted.at("order:f"), (MoneyCount{1, 0, 0, 0}));
  EXPECT_EQ(read_gateway_records(file()).size(), after->operations());
}

// orderd killed while writing a line: the line was never answered, so it never happened; the
// next line starts on a line of its own.
TEST_F(MockGatewayStateTest, ATornLastLineIsIgnored) {
  {
    auto before = open_gateway();
    ASSERT_EQ(answer(*before, op(PaymentOp::kAuthorize, "order:a")), "succeeded");
  }
  std::ofstream(file(), std::ios::app) << R"({"key":"capture/order:a","op":{"type":"capt)";
  EXPECT_EQ(read_gateway_records(file()).size(), 1u);
  EXPECT_EQ(read_gateway_state(file()).at("order:a"), (MoneyCount{1, 0, 0, 0}));

  auto after = open_gateway();
  EXPECT_EQ(after->money("order:a"), (MoneyCount{1, 0, 0, 0}));
  EXPECT_TRUE(after->held("order:a"));
  EXPECT_EQ(answer(*after, op(PaymentOp::kCapture, "order:a")), "succeeded");
  const auto records = read_gateway_records(file());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].key, "capture/order:a");
  EXPECT_EQ(records[1].op, op(PaymentOp::kCapture, "order:a"));
  EXPECT_TRUE(records[1].answer.succeeded());
}

// A whole line that is not a record is not a torn write: the file is refused, not half-read.
TEST_F(MockGatewayStateTest, ACorruptWholeLineIsRefused) {
  std::ofstream(file()) << "not json\n";
  EXPECT_THROW(open_gateway(), std::runtime_error);
  EXPECT_THROW(read_gateway_state(file()), std::runtime_error);
}

// Two gateways writing one file would interleave two processors' histories (G3).
TEST_F(MockGatewayStateTest, OneGatewayAtATimeOwnsTheFile) {
  auto first = open_gateway();
  EXPECT_THROW(open_gateway(), std::runtime_error);
  first.reset();
  EXPECT_NO_THROW(open_gateway());
}

// Without a state file nothing is written, and a new gateway has forgotten everything.
TEST_F(MockGatewayStateTest, WithoutAFileTheGatewayLivesInMemory) {
  MockGatewayOptions memory;
  {
    MockGateway before(clock, memory);
    ASSERT_EQ(answer(before, op(PaymentOp::kAuthorize, "order:a")), "succeeded");
  }
  MockGateway after(clock, memory);
  EXPECT_EQ(after.operations(), 0u);
  EXPECT_EQ(after.money("order:a"), MoneyCount{});
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace orderd::payments
