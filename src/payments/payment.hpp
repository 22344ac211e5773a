#pragma once
// One owner's payment, its status machine, and the record of each gateway operation made for it
// (the ledger that keeps them: payment_ledger.hpp, with the invariants P1-P3).
//
// Status, and the transitions legal_transition() allows (anything else is a bug):
//
//   intended ──> authorizing ──> authorized ──> captured ──> refunded
//      │             │  │  │          │            │
//      │             │  │  └> declined └──> voided  │      (a void is declined already_captured:
//      │             │  └──> uncertain ──> voided   │       authorized ──> captured, learnt)
//      └─────────────┴──────────────────> voided    │
//   any status owing a compensation ──> needs_attention ──> (retry) that status again
//
//   intended     the owner decided to pay; nothing sent yet as far as the ledger knows
//   authorizing  the authorization was decided and may be out
//   authorized   the gateway holds the money
//   uncertain    the authorization's last attempt got no answer: it may have been made
//   declined     the authorization was declined: nothing held (final)
//   captured     the money was taken (final for an owner that keeps it)
//   voided       the hold was released, or never made (final)
//   refunded     the captured money was given back (final)
//   needs_attention  the gateway refused the compensation `compensation_attempts` times; an
//                operator's retry sends it again
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "payments/payment_gateway.hpp"

namespace orderd::payments {

enum class PaymentStatus {
  kIntended,
  kAuthorizing,
  kAuthorized,
  kUncertain,
  kDeclined,
  kCaptured,
  kVoided,
  kRefunded,
  kNeedsAttention,
};

std::string_view to_string(PaymentStatus status) noexcept;  // "needs_attention", ...
std::optional<PaymentStatus> payment_status_from_string(std::string_view name) noexcept;

bool legal_transition(PaymentStatus from, PaymentStatus to) noexcept;
// An internal error (a bug), reason illegal_payment_transition.
Error illegal_transition(const std::string& owner, PaymentStatus from, PaymentStatus to);
// nullopt when legal, else illegal_transition().
std::optional<Error> check_transition(const std::string& owner, PaymentStatus from,
                                      PaymentStatus to);

struct Payment {
  std::string owner;  // "order:ord_…", "trip:trip-001": [A-Za-z0-9:_-], 1..128 characters
  std::string method;
  std::int64_t amount = 0;  // minor units, > 0
  std::string currency;
  PaymentStatus status = PaymentStatus::kIntended;
  std::string authorization;  // the authorization's gateway reference, once known
  // needs_attention: the status it left, which its retry returns to.
  PaymentStatus attention_from = PaymentStatus::kIntended;
  std::uint32_t refusals = 0;         // compensations the gateway refused since the last retry
  std::uint32_t round = 1;            // the next compensation's round (gateway_key)
  std::uint32_t records = 0;          // records written: the next one's number
  std::vector<std::string> answered;  // gateway keys answered so far (succeeded or declined)
  std::string message;                // the last decline's or failure's, for operators
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;

  // "pay_" + the owner with ':' as '.': stable, path-safe (owners have no '.').
  std::string id() const;
  bool operator==(const Payment&) const = default;
};

// The owner a payment id names (the inverse of Payment::id); nullopt if it is not one.
std::optional<std::string> owner_of_payment_id(std::string_view id);
// nullopt when `owner` may own a payment, else invalid_argument, reason invalid_payment_owner.
std::optional<Error> check_owner(const std::string& owner);

enum class RecordStatus { kSucceeded, kDeclined, kFailed };  // failed: no answer
std::string_view to_string(RecordStatus status) noexcept;

// One gateway operation's outcome, as the effect that carried it out ended.
struct PaymentRecord {
  std::string id;  // "<payment id>.<seq>", seq from 1, four digits at least
  std::string owner;
  PaymentOp type = PaymentOp::kAuthorize;
  RecordStatus status = RecordStatus::kSucceeded;
  std::int64_t amount = 0;
  std::string currency;
  std::string reference;  // the gateway's
  std::string message;
  std::string reason;  // a decline's (GatewayReply::reason)
  std::string gateway_key;
  std::int64_t created_at_ms = 0;
  bool operator==(const PaymentRecord&) const = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Payment& p);
Payment tag_invoke(boost::json::value_to_tag<Payment>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const PaymentRecord& r);
PaymentRecord tag_invoke(boost::json::value_to_tag<PaymentRecord>, const boost::json::value& v);

}  // namespace orderd::payments
