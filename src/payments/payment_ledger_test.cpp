// The payment ledger without I/O: its status machine (every legal transition, the illegal ones
// refused), what each gateway outcome leaves owed (P2), refusals up to needs_attention and the
// operator's retry (P3), one record per answered key, and its rows read back.
#include "payments/payment_ledger.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>
#include <map>
#include <set>

namespace orderd::payments {
namespace {

using S = PaymentStatus;
using Action = Compensation::Action;

constexpr std::int64_t kNow = 1'700'000'000'000;

// The rows every write set so far left, as a store would hold them.
class Rows {
 public:
  void apply(WriteSet& writes) {
    for (auto& row : writes.take()) {
      auto& table = tables_[row.table];
      if (row.value)
        table[row.key] = *row.value;
      else
        table.erase(row.key);
    }
  }
  const std::map<std::string, std::string>& table(const std::string& name) { return tables_[name]; }

 private:
  std::map<std::string, std::map<std::string, std::string>> tables_;
};

template <class T>
const T& ok(const std::variant<T, Error>& r) {
  if (const auto* e = std::get_if<Error>(&r)) ADD_FAILURE() << e->reason << ": " << e->message;
  static const T none{};
  const T* v = std::get_if<T>(&r);
  return v ? *v : none;
}

template <class T>
std::string refused(const std::variant<T, Error>& r) {
  const auto* e = std::get_if<Error>(&r);
  return e ? e->reason : "(not refused)";
}

Result<GatewayReply> succeeded(std::string reference = "ref_1") {
  return GatewayReply{ReplyStatus::kSucceeded, std::move(reference), "", ""};
}
Result<GatewayReply> declined(std::string reason) {
  return GatewayReply{ReplyStatus::kDeclined, "ref_d", "declined: " + reason, std::move(reason)};
}
Result<GatewayReply> no_answer() {
  return Error::of(ErrorCode::kDeadlineExceeded,
                   "effect 'authorize' failed after 3 attempts: timed out after 2000 ms");
}

class PaymentLedgerTest : public ::testing::Test {
 protected:
  PaymentLedgerTest() : ledger(LedgerOptions{3, 1000, 60'000}) {}

  void intend(const std::string& owner) {
    WriteSet w;
    ok(ledger.intend(owner, "mock", 1250, "EUR", kNow, w));
    rows.apply(w);
  }
  GatewayOperation authorize(const std::string& owner) {
    WriteSet w;
    GatewayOperation op = ok(ledger.authorize(owner, kNow + 1, w));
    rows.apply(w);
    return op;
  }
  PaymentLedger::Recorded record(const GatewayOperation& op, const Result<GatewayReply>& reply) {
    WriteSet w;
    auto r = ok(ledger.record(op, reply, kNow + 2, w));
    rows.apply(w);
    return r;
  }
  // An owner brought to `status` through the ledger's own calls.
  void authorized(const std::string& owner) {
    intend(owner);
    record(authorize(owner), succeeded("auth_" + owner));
  }
  void captured(const std::string& owner) {
    authorized(owner);
    record(ok(ledger.capture(owner)), succeeded());
  }
  S status(const std::string& owner) { return ledger.payment(owner)->status; }

  PaymentLedger ledger;
  Rows rows;
};

TEST(PaymentStatusMachine, ExactlyTheLegalTransitions) {
  const std::set<std::pair<S, S>> legal{
      {S::kIntended, S::kAuthorizing},       {S::kIntended, S::kVoided},
      {S::kIntended, S::kNeedsAttention},    {S::kAuthorizing, S::kAuthorized},
      {S::kAuthorizing, S::kDeclined},       {S::kAuthorizing, S::kUncertain},
      {S::kAuthorizing, S::kVoided},         {S::kAuthorizing, S::kNeedsAttention},
      {S::kAuthorized, S::kCaptured},        {S::kAuthorized, S::kVoided},
      {S::kAuthorized, S::kNeedsAttention},  {S::kUncertain, S::kVoided},
      {S::kUncertain, S::kNeedsAttention},   {S::kCaptured, S::kRefunded},
      {S::kCaptured, S::kNeedsAttention},    {S::kNeedsAttention, S::kIntended},
      {S::kNeedsAttention, S::kAuthorizing}, {S::kNeedsAttention, S::kAuthorized},
      {S::kNeedsAttention, S::kUncertain},   {S::kNeedsAttention, S::kCaptured},
  };
  for (int f = 0; f <= static_cast<int>(S::kNeedsAttention); ++f)
    for (int t = 0; t <= static_cast<int>(S::kNeedsAttention); ++t) {
      const S from = static_cast<S>(f), to = static_cast<S>(t);
      EXPECT_EQ(legal_transition(from, to), legal.count({from, to}) == 1)
          << to_string(from) << " -> " << to_string(to);
      auto error = check_transition("order:x", from, to);
      EXPECT_EQ(error.has_value(), legal.count({from, to}) == 0);
      if (error) {
        EXPECT_EQ(error->reason, "illegal_payment_transition");
      }
    }
  for (int s = 0; s <= static_cast<int>(S::kNeedsAttention); ++s)
    EXPECT_EQ(payment_status_from_string(to_string(static_cast<S>(s))), static_cast<S>(s));
}

TEST_F(PaymentLedgerTest, APurchaseAuthorizesThenCapturesOnce) {
  intend("order:a");
  EXPECT_EQ(status("order:a"), S::kIntended);
  const GatewayOperation auth = authorize("order:a");
  EXPECT_EQ(auth, (GatewayOperation{PaymentOp::kAuthorize, "order:a", "mock", 1250, "EUR",
                                    "authorize/order:a", ""}));
  EXPECT_EQ(status("order:a"), S::kAuthorizing);
  auto r = record(auth, succeeded("auth_ref"));
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->id, "pay_order.a.0001");
  EXPECT_EQ(r.record->status, RecordStatus::kSucceeded);
  EXPECT_EQ(r.record->gateway_key, "authorize/order:a");
  EXPECT_EQ(status("order:a"), S::kAuthorized);
  const GatewayOperation cap = ok(ledger.capture("order:a"));
  EXPECT_EQ(cap.idempotency_key, "capture/order:a");
  EXPECT_EQ(cap.authorization, "auth_ref");
  record(cap, succeeded("cap_ref"));
  EXPECT_EQ(status("order:a"), S::kCaptured);
  // P1: no second capture.
  EXPECT_EQ(refused(ledger.capture("order:a")), "illegal_payment_transition");
  EXPECT_TRUE(ledger.open_owners().empty());
  // Were it to end without its purchase, a refund would be owed.
  EXPECT_EQ(ledger.compensation_for("order:a").action, Action::kRefund);
  EXPECT_EQ(ledger.compensation_for("order:a").operation.idempotency_key, "refund/order:a");
}

TEST_F(PaymentLedgerTest, IllegalStepsAreRefusedAndChangeNothing) {
  intend("order:i");
  EXPECT_EQ(refused(ledger.capture("order:i")), "illegal_payment_transition");
  const GatewayOperation auth = authorize("order:i");
  WriteSet w;
  EXPECT_EQ(refused(ledger.authorize("order:i", kNow, w)), "illegal_payment_transition");
  EXPECT_EQ(refused(ledger.capture("order:i")), "illegal_payment_transition");
  record(ledger.compensation_for("order:i").operation, succeeded());
  ASSERT_EQ(status("order:i"), S::kVoided);
  // The gateway answering an authorization after its void (a broken tombstone) is a bug.
  const Payment before = *ledger.payment("order:i");
  EXPECT_EQ(refused(ledger.record(auth, succeeded(), kNow, w)), "illegal_payment_transition");
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(*ledger.payment("order:i"), before);
  // Unknown owners.
  EXPECT_EQ(refused(ledger.authorize("order:nobody", kNow, w)), "unknown_payment");
  EXPECT_EQ(refused(ledger.record(auth, no_answer(), kNow, w)), "illegal_payment_transition");
  GatewayOperation stranger = auth;
  stranger.owner = "order:nobody";
  EXPECT_EQ(refused(ledger.record(stranger, succeeded(), kNow, w)), "unknown_payment");
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(ledger.compensation_for("order:nobody").action, Action::kNone);
}

TEST_F(PaymentLedgerTest, IntendIsIdempotentAndChecksItsTerms) {
  intend("order:t");
  WriteSet w;
  EXPECT_EQ(ok(ledger.intend("order:t", "mock", 1250, "EUR", kNow + 5, w)).created_at_ms, kNow);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(refused(ledger.intend("order:t", "mock", 1, "EUR", kNow, w)), "payment_exists");
  EXPECT_EQ(refused(ledger.intend("order:z", "mock", 0, "EUR", kNow, w)), "invalid_amount");
  EXPECT_EQ(refused(ledger.intend("order:z", "", 5, "EUR", kNow, w)), "invalid_payment");
  EXPECT_EQ(refused(ledger.intend("order.z", "mock", 5, "EUR", kNow, w)), "invalid_payment_owner");
  EXPECT_EQ(refused(ledger.intend("", "mock", 5, "EUR", kNow, w)), "invalid_payment_owner");
  EXPECT_EQ(refused(ledger.intend(std::string(129, 'a'), "mock", 5, "EUR", kNow, w)),
            "invalid_payment_owner");
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(ledger.size(), 1u);
}

// P2: every authorization that was or may have been made is owed a void until it is voided.
TEST_F(PaymentLedgerTest, WhateverMayHaveBeenAuthorizedIsOwedAVoid) {
  intend("order:intended");
  intend("order:killed");
  authorize("order:killed");  // killed while the authorization was out: no record
  intend("order:timeout");
  record(authorize("order:timeout"), no_answer());
  authorized("order:held");
  captured("order:charged");
  intend("order:declined");
  record(authorize("order:declined"), declined("card_declined"));

  EXPECT_EQ(status("order:timeout"), S::kUncertain);
  EXPECT_EQ(ledger.payment("order:timeout")->message, no_answer().error().message);
  EXPECT_EQ(status("order:declined"), S::kDeclined);
  for (const char* owner : {"order:intended", "order:killed", "order:timeout", "order:held"}) {
    const Compensation c = ledger.compensation_for(owner);
    EXPECT_EQ(c.action, Action::kVoid) << owner;
    EXPECT_EQ(c.operation.idempotency_key, std::string("void/") + owner);
  }
  EXPECT_EQ(ledger.compensation_for("order:held").operation.authorization, "auth_order:held");
  EXPECT_EQ(ledger.compensation_for("order:declined").action, Action::kNone);
  EXPECT_EQ(ledger.open_owners(), (std::vector<std::string>{"order:held", "order:intended",
                                                            "order:killed", "order:timeout"}));
  for (const char* owner : {"order:intended", "order:killed", "order:timeout", "order:held"}) {
    record(ledger.compensation_for(owner).operation, succeeded());
    EXPECT_EQ(status(owner), S::kVoided) << owner;
    EXPECT_EQ(ledger.compensation_for(owner).action, Action::kNone);
  }
  EXPECT_TRUE(ledger.open_owners().empty());
}

TEST_F(PaymentLedgerTest, AFailedCaptureLeavesTheVoidOwedAndAVoidTooLateLearnsTheCapture) {
  authorized("order:c");
  record(ok(ledger.capture("order:c")), no_answer());
  EXPECT_EQ(status("order:c"), S::kAuthorized);
  // The capture had been made after all: the void is declined already_captured.
  const Compensation owed = ledger.compensation_for("order:c");
  ASSERT_EQ(owed.action, Action::kVoid);
  record(owed.operation, declined("already_captured"));
  EXPECT_EQ(status("order:c"), S::kCaptured);
  EXPECT_EQ(ledger.payment("order:c")->refusals, 0u);  // information, not a refusal
  const Compensation refund = ledger.compensation_for("order:c");
  EXPECT_EQ(refund.action, Action::kRefund);
  EXPECT_EQ(refund.operation.idempotency_key, "refund/order:c");
  record(refund.operation, succeeded());
  EXPECT_EQ(status("order:c"), S::kRefunded);
  EXPECT_EQ(ledger.compensation_for("order:c").action, Action::kNone);
}

TEST_F(PaymentLedgerTest, ADeclinedCaptureChangesNothingButIsRecorded) {
  authorized("order:d");
  auto r = record(ok(ledger.capture("order:d")), declined("authorization_voided"));
  ASSERT_TRUE(r.record);
  EXPECT_EQ(r.record->status, RecordStatus::kDeclined);
  EXPECT_EQ(r.record->reason, "authorization_voided");
  EXPECT_EQ(status("order:d"), S::kAuthorized);
  EXPECT_EQ(ledger.compensation_for("order:d").action, Action::kVoid);
}

// P3: a refused refund is sent again under new keys, then waits for an operator, whose retry
// sends it again; it is never closed by a refusal.
TEST_F(PaymentLedgerTest, ARefusedRefundNeedsAttentionThenRetrySucceeds) {
  captured("order:r");
  for (std::uint32_t round = 1; round <= 3; ++round) {
    const Compensation c = ledger.compensation_for("order:r");
    ASSERT_EQ(c.action, Action::kRefund) << round;
    EXPECT_EQ(c.operation.idempotency_key, gateway_key(PaymentOp::kRefund, "order:r", round));
    EXPECT_EQ(ledger.compensation_backoff("order:r").count(),
              round == 1 ? 1000 : 1000 << (round - 2));
    record(c.operation, declined("refused"));
  }
  EXPECT_EQ(status("order:r"), S::kNeedsAttention);
  EXPECT_EQ(ledger.payment("order:r")->message, "declined: refused");
  const Compensation waiting = ledger.compensation_for("order:r");
  EXPECT_EQ(waiting.action, Action::kAwaitOperator);
  EXPECT_EQ(waiting.operation.idempotency_key, "refund/order:r/4");
  ASSERT_EQ(ledger.needs_attention().size(), 1u);
  EXPECT_EQ(ledger.needs_attention()[0].id(), "pay_order.r");
  EXPECT_EQ(ledger.payment_by_id("pay_order.r")->owner, "order:r");
  EXPECT_EQ(ledger.open_owners(), std::vector<std::string>{"order:r"});
  // A late copy of a refusal already counted changes nothing.
  WriteSet w;
  const GatewayOperation third{PaymentOp::kRefund, "order:r",     "mock", 1250, "EUR",
                               "refund/order:r/3", "auth_order:r"};
  auto again = ok(ledger.record(third, declined("refused"), kNow, w));
  EXPECT_FALSE(again.record);
  EXPECT_TRUE(w.empty());

  auto retried = ok(ledger.retry("order:r", kNow + 10, w));
  rows.apply(w);
  EXPECT_EQ(retried.action, Action::kRefund);
  EXPECT_EQ(retried.operation.idempotency_key, "refund/order:r/4");
  EXPECT_EQ(status("order:r"), S::kCaptured);
  EXPECT_EQ(ledger.payment("order:r")->refusals, 0u);
  EXPECT_EQ(refused(ledger.retry("order:r", kNow, w)), "payment_not_needing_attention");
  EXPECT_EQ(refused(ledger.retry("order:nobody", kNow, w)), "unknown_payment");
  record(retried.operation, succeeded());
  EXPECT_EQ(status("order:r"), S::kRefunded);
  EXPECT_TRUE(ledger.needs_attention().empty());
  EXPECT_TRUE(ledger.open_owners().empty());
  // Every operation was recorded, in order: 2 of the purchase, 3 refusals, the refund.
  const auto& records = rows.table(PaymentLedger::kRecordsTable);
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records.rbegin()->first, "order:r/0006");
}

TEST_F(PaymentLedgerTest, ARefusedVoidNeedsAttentionFromWhereItWas) {
  intend("order:v");
  record(authorize("order:v"), no_answer());
  for (int i = 0; i < 3; ++i)
    record(ledger.compensation_for("order:v").operation, declined("refused"));
  EXPECT_EQ(status("order:v"), S::kNeedsAttention);
  EXPECT_EQ(ledger.payment("order:v")->attention_from, S::kUncertain);
  WriteSet w;
  EXPECT_EQ(ok(ledger.retry("order:v", kNow, w)).action, Action::kVoid);
  EXPECT_EQ(status("order:v"), S::kUncertain);
}

TEST_F(PaymentLedgerTest, TheSameKeyAnsweredTwiceIsRecordedOnce) {
  authorized("order:k");
  // The saga and the reclaim both voided under void/order:k: one gateway operation.
  const GatewayOperation v = ledger.compensation_for("order:k").operation;
  auto first = record(v, succeeded("void_ref"));
  auto second = record(v, succeeded("void_ref"));
  ASSERT_TRUE(first.record);
  EXPECT_FALSE(second.record);
  EXPECT_EQ(second.payment.status, S::kVoided);
  EXPECT_EQ(rows.table(PaymentLedger::kRecordsTable).size(), 2u);  // the authorization, the void
  // Failures are not answers: each is recorded (the attempts' history).
  intend("order:f");
  const GatewayOperation a = authorize("order:f");
  record(a, no_answer());
  EXPECT_TRUE(record(a, no_answer()).record);
  EXPECT_EQ(status("order:f"), S::kUncertain);
}

TEST_F(PaymentLedgerTest, RowsReadBackToTheSameLedger) {
  captured("order:one");
  intend("trip:trip-001");
  record(authorize("trip:trip-001"), no_answer());
  captured("order:two");
  for (int i = 0; i < 3; ++i)
    record(ledger.compensation_for("order:two").operation, declined("refused"));

  PaymentLedger loaded(ledger.options());
  for (const auto& [owner, row] : rows.table(PaymentLedger::kPaymentsTable))
    loaded.load(owner, row);
  ASSERT_EQ(loaded.size(), ledger.size());
  for (const char* owner : {"order:one", "trip:trip-001", "order:two"}) {
    EXPECT_EQ(*loaded.payment(owner), *ledger.payment(owner)) << owner;
    EXPECT_EQ(loaded.compensation_for(owner), ledger.compensation_for(owner)) << owner;
  }
  EXPECT_EQ(loaded.open_owners(), ledger.open_owners());
  EXPECT_EQ(loaded.needs_attention().size(), 1u);
  // Each record row decodes to the record that was returned, keyed in the order made.
  WriteSet w;
  const GatewayOperation v = loaded.compensation_for("trip:trip-001").operation;
  auto r = ok(loaded.record(v, succeeded("v"), kNow + 9, w));
  rows.apply(w);
  const std::string& stored =
      rows.table(PaymentLedger::kRecordsTable).at(PaymentLedger::record_key("trip:trip-001", 2));
  EXPECT_EQ(boost::json::value_to<PaymentRecord>(boost::json::parse(stored)), *r.record);
  EXPECT_EQ(r.record->id, "pay_trip.trip-001.0002");
  // A row under another owner's key is refused.
  EXPECT_THROW(loaded.load("order:else", rows.table(PaymentLedger::kPaymentsTable).at("order:one")),
               std::exception);
}

TEST(PaymentIds, NameTheirOwnerBothWays) {
  Payment p;
  p.owner = "order:ord_01H";
  EXPECT_EQ(p.id(), "pay_order.ord_01H");
  EXPECT_EQ(owner_of_payment_id(p.id()), "order:ord_01H");
  EXPECT_EQ(owner_of_payment_id("order:ord_01H"), std::nullopt);
  EXPECT_EQ(owner_of_payment_id("pay_a/b"), std::nullopt);
}

TEST(GatewayKeys, AreOwnerKeyedWithRoundsAfterTheFirst) {
  EXPECT_EQ(gateway_key(PaymentOp::kAuthorize, "order:ord_1"), "authorize/order:ord_1");
  EXPECT_EQ(gateway_key(PaymentOp::kCapture, "trip:trip-001"), "capture/trip:trip-001");
  EXPECT_EQ(gateway_key(PaymentOp::kVoid, "order:x", 1), "void/order:x");
  EXPECT_EQ(gateway_key(PaymentOp::kRefund, "order:x", 2), "refund/order:x/2");
  for (auto op : {PaymentOp::kAuthorize, PaymentOp::kCapture, PaymentOp::kVoid, PaymentOp::kRefund})
    EXPECT_EQ(payment_op_from_string(to_string(op)), op);
  EXPECT_EQ(payment_op_from_string("charge"), std::nullopt);
}

TEST(GatewayJson, RoundTrips) {
  const GatewayOperation op{PaymentOp::kRefund, "order:x", "mock", 5, "EUR",
                            "refund/order:x/2", "ref"};
  EXPECT_EQ(boost::json::value_to<GatewayOperation>(boost::json::value_from(op)), op);
  const GatewayReply reply{ReplyStatus::kDeclined, "r", "no", "refused"};
  EXPECT_EQ(boost::json::value_to<GatewayReply>(boost::json::value_from(reply)), reply);
}

}  // namespace
}  // namespace orderd::payments
