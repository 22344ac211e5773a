#pragma once
// The payment ledger: each owner's payment (payment.hpp) and one record per gateway operation
// made for it. Pure logic, no I/O, owner-agnostic (an order, a trip): the saga and the reclaim
// decide with it on the engine thread, inside the journaled step that writes its rows (a
// transact step, or the `record` of Context::run_async_recorded, which commits the rows with
// the effect's outcome), so a decision and its rows commit together. Memory changes only when a
// call returns a value; an Error leaves memory and the write set as they were. At start the
// ledger is loaded from its `payments` rows.
//
// Invariants:
//  P1. An owner has at most one succeeded capture, and only after a succeeded authorization.
//  P2. Every authorization that was or may have been made (an authorize decided and sent, one
//      whose last attempt got no answer) ends captured, or voided, or refunded after its
//      capture: compensation_for() names what is owed until then, and open_owners() lists every
//      owner that may still hold money.
//  P3. A compensation the gateway refuses is never closed silently: it is sent again (a new
//      round, a new key) and after `compensation_attempts` refusals the payment is
//      needs_attention, listed for operators until a retry succeeds.
//
// Rows (one table each, JSON):
//   payment_owners   <owner>                -> Payment
//   payment_records  <owner>/<seq, 4 digits> -> PaymentRecord, in the order they were made
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/result.hpp"
#include "engine/write_set.hpp"
#include "payments/payment.hpp"

namespace orderd::payments {

struct LedgerOptions {
  // Refusals of one compensation before the payment needs attention (--compensation-attempts).
  std::uint32_t compensation_attempts = 10;
  // The wait before sending a refused compensation again: doubling from the first, up to max.
  std::int64_t compensation_backoff_ms = 1'000;
  std::int64_t compensation_max_backoff_ms = 60'000;
};

// What an owner that ends without its purchase (failed, cancelled, killed, reclaimed) must still
// do so that it holds no money.
struct Compensation {
  enum class Action {
    kNone,           // nothing held: declined, voided, refunded, or no payment at all
    kVoid,           // send `operation`, a void
    kRefund,         // send `operation`, a refund
    kAwaitOperator,  // needs_attention: `operation` is what a retry will send
  };
  Action action = Action::kNone;
  GatewayOperation operation;
  bool operator==(const Compensation&) const = default;
};

class PaymentLedger {
 public:
  static constexpr const char* kPaymentsTable = "payment_owners";
  static constexpr const char* kRecordsTable = "payment_records";

  explicit PaymentLedger(LedgerOptions options = {}) : options_(options) {}
  const LedgerOptions& options() const { return options_; }

  // The owner decides to pay: its payment is stored intended, before anything is sent. Asking
  // again with the same terms returns the payment as it is (no rows); other terms are a
  // conflict (payment_exists). Errors: invalid_payment_owner, invalid_amount (not > 0),
  // invalid_payment (no method or currency).
  std::variant<Payment, Error> intend(const std::string& owner, const std::string& method,
                                      std::int64_t amount, const std::string& currency,
                                      std::int64_t now_ms, WriteSet& writes);
  // intended -> authorizing: the authorization to send (key authorize/<owner>). Call it in the
  // step that decides to authorize, so the decision is durable before the gateway is called.
  std::variant<GatewayOperation, Error> authorize(const std::string& owner, std::int64_t now_ms,
                                                  WriteSet& writes);
  // The capture to send (key capture/<owner>); the payment must be authorized. Writes nothing.
  std::variant<GatewayOperation, Error> capture(const std::string& owner) const;
  // P2: what is owed to leave no money held; its operation is owner-keyed (void/<owner>,
  // refund/<owner>, "/<round>" after refusals), so the saga and the reclaim send the same one.
  Compensation compensation_for(const std::string& owner) const;
  // How long to wait before sending the compensation again after a refusal.
  std::chrono::milliseconds compensation_backoff(const std::string& owner) const;

  // The outcome of `op` (as built by authorize, capture or compensation_for), when its effect
  // ended: `reply` is its answer, or the effect's failure (no answer). Writes the record and the
  // payment's new state. The same key answered twice (another invocation sent the same
  // operation) is recorded once: the second call returns no record and writes nothing.
  struct Recorded {
    std::optional<PaymentRecord> record;  // nullopt: recorded before
    Payment payment;
  };
  std::variant<Recorded, Error> record(const GatewayOperation& op,
                                       const Result<GatewayReply>& reply, std::int64_t now_ms,
                                       WriteSet& writes);

  // The owner's invocation ended while its authorization was out (an operator killed it): the
  // authorization is recorded failed (no answer) and may have been made, so a void is owed
  // (P2). Nothing for any other status.
  std::optional<PaymentRecord> abandon(const std::string& owner, std::int64_t now_ms,
                                       WriteSet& writes);

  // An operator's retry of a needs_attention payment (P3): back to the status that owes the
  // compensation, refusals counted afresh; returns the compensation to send. Errors: not_found
  // (unknown_payment), conflict (payment_not_needing_attention).
  std::variant<Compensation, Error> retry(const std::string& owner, std::int64_t now_ms,
                                          WriteSet& writes);

  const Payment* payment(const std::string& owner) const;
  const Payment* payment_by_id(std::string_view id) const;
  std::vector<Payment> needs_attention() const;
  // Owners whose money may still be held: intended, authorizing, authorized, uncertain,
  // needs_attention. (A captured owner is settled unless it ends without its purchase: its own
  // state says so, and compensation_for() then owes a refund.)
  std::vector<std::string> open_owners() const;
  std::size_t size() const { return payments_.size(); }

  // Drops a settled payment (captured, voided, refunded, declined) from memory; its rows stay,
  // and load() brings it back when it is needed again (a confirmed order's later refund). Keeps
  // memory to the payments in flight. False (and nothing dropped) for any other status.
  bool forget(const std::string& owner);

  // Loading at start: a `payments` row as stored (throws json::InvalidField for a malformed one).
  void load(const std::string& owner, const std::string& row);
  static std::string record_key(const std::string& owner, std::uint32_t seq);

 private:
  void write(const Payment& payment, WriteSet& writes) const;
  GatewayOperation operation(const Payment& payment, PaymentOp type, std::uint32_t round) const;
  LedgerOptions options_;
  std::map<std::string, Payment> payments_;  // by owner
};

}  // namespace orderd::payments
