#include "payments/payment_ledger.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>
#include <cstdio>

#include "common/json_fields.hpp"
#include "common/json_writer.hpp"

namespace orderd::payments {
namespace {

using S = PaymentStatus;

Error unknown_payment(const std::string& owner) {
  return Error::of(ErrorCode::kNotFound, "no payment of " + owner, "unknown_payment");
}

// The statuses that owe a void: an authorization was, or may have been, made and not captured.
bool owes_void(PaymentStatus s) {
  return s == S::kIntended || s == S::kAuthorizing || s == S::kAuthorized || s == S::kUncertain;
}

// A record's number, four digits at least: the owner's records sort in the order made.
std::string sequence(std::uint32_t seq) {
  char n[16];
  std::snprintf(n, sizeof n, "%04u", seq);
  return n;
}

}  // namespace

std::string PaymentLedger::record_key(const std::string& owner, std::uint32_t seq) {
  return owner + "/" + sequence(seq);
}

void PaymentLedger::write(const Payment& payment, WriteSet& writes) const {
  writes.put(kPaymentsTable, payment.owner, json::dump(boost::json::value_from(payment)));
}

GatewayOperation PaymentLedger::operation(const Payment& p, PaymentOp type,
                                          std::uint32_t round) const {
  return {type,           p.owner,    p.method,
          p.amount,       p.currency, gateway_key(type, p.owner, round),
          p.authorization};
}

std::variant<Payment, Error> PaymentLedger::intend(const std::string& owner,
                                                   const std::string& method, std::int64_t amount,
                                                   const std::string& currency, std::int64_t now_ms,
                                                   WriteSet& writes) {
  if (auto error = check_owner(owner)) return *error;
  if (amount <= 0)
    return Error::of(ErrorCode::kInvalidArgument, "a payment's amount must be above 0",
                     "invalid_amount");
  if (method.empty() || currency.empty())
    return Error::of(ErrorCode::kInvalidArgument, "a payment needs a method and a currency",
                     "invalid_payment");
  if (const Payment* existing = payment(owner)) {
    if (existing->method == method && existing->amount == amount && existing->currency == currency)
      return *existing;
    return Error::of(ErrorCode::kConflict, owner + " has a payment on other terms",
                     "payment_exists");
  }
  Payment p;
  p.owner = owner;
  p.method = method;
  p.amount = amount;
  p.currency = currency;
  p.created_at_ms = p.updated_at_ms = now_ms;
  write(p, writes);
  payments_.emplace(owner, p);
  return p;
}

std::variant<GatewayOperation, Error> PaymentLedger::authorize(const std::string& owner,
                                                               std::int64_t now_ms,
                                                               WriteSet& writes) {
  auto it = payments_.find(owner);
  if (it == payments_.end()) return unknown_payment(owner);
  if (auto error = check_transition(owner, it->second.status, S::kAuthorizing)) return *error;
  Payment next = it->second;
  next.status = S::kAuthorizing;
  next.updated_at_ms = now_ms;
  write(next, writes);
  it->second = std::move(next);
  return operation(it->second, PaymentOp::kAuthorize, 1);
}

std::variant<GatewayOperation, Error> PaymentLedger::capture(const std::string& owner) const {
  const Payment* p = payment(owner);
  if (!p) return unknown_payment(owner);
  // P1: a capture only of an authorization (not even from needs_attention, whose retry may
  // lead back to captured).
  if (p->status != S::kAuthorized) return illegal_transition(owner, p->status, S::kCaptured);
  return operation(*p, PaymentOp::kCapture, 1);
}

Compensation PaymentLedger::compensation_for(const std::string& owner) const {
  const Payment* p = payment(owner);
  if (!p) return {};
  auto owed = [&](PaymentStatus status) -> std::optional<PaymentOp> {
    if (owes_void(status)) return PaymentOp::kVoid;
    if (status == S::kCaptured) return PaymentOp::kRefund;
    return std::nullopt;
  };
  const bool waiting = p->status == S::kNeedsAttention;
  auto op = owed(waiting ? p->attention_from : p->status);
  if (!op) return {};
  Compensation c;
  c.action = waiting                   ? Compensation::Action::kAwaitOperator
             : *op == PaymentOp::kVoid ? Compensation::Action::kVoid
                                       : Compensation::Action::kRefund;
  c.operation = operation(*p, *op, p->round);
  return c;
}

std::chrono::milliseconds PaymentLedger::compensation_backoff(const std::string& owner) const {
  const Payment* p = payment(owner);
  std::int64_t delay = options_.compensation_backoff_ms;
  for (std::uint32_t i = 1; p && i < p->refusals && delay < options_.compensation_max_backoff_ms;
       ++i)
    delay *= 2;
  return std::chrono::milliseconds(std::min(delay, options_.compensation_max_backoff_ms));
}

std::variant<PaymentLedger::Recorded, Error> PaymentLedger::record(
    const GatewayOperation& op, const Result<GatewayReply>& reply, std::int64_t now_ms,
    WriteSet& writes) {
  auto it = payments_.find(op.owner);
  if (it == payments_.end()) return unknown_payment(op.owner);
  const Payment& now = it->second;
  const std::string& key = op.idempotency_key;
  if (reply && std::find(now.answered.begin(), now.answered.end(), key) != now.answered.end())
    return Recorded{std::nullopt, now};

  Payment next = now;
  PaymentRecord r;
  r.owner = op.owner;
  r.type = op.type;
  r.amount = op.amount;
  r.currency = op.currency;
  r.gateway_key = key;
  r.created_at_ms = now_ms;
  std::optional<PaymentStatus> to;  // the transition the outcome makes, if any
  bool learnt_capture = false;
  if (!reply) {
    r.status = RecordStatus::kFailed;
    r.message = reply.error().message;
    // An authorization without an answer may have been made (P2): it is owed a void.
    if (op.type == PaymentOp::kAuthorize && now.status != S::kUncertain) to = S::kUncertain;
  } else {
    r.reference = reply->reference;
    r.message = reply->message;
    r.reason = reply->reason;
    next.answered.push_back(key);
    if (reply->succeeded()) {
      r.status = RecordStatus::kSucceeded;
      switch (op.type) {
        case PaymentOp::kAuthorize:
          to = S::kAuthorized;
          next.authorization = reply->reference;
          break;
        case PaymentOp::kCapture:
          to = S::kCaptured;  // P1: legal only from authorized
          break;
        case PaymentOp::kVoid:
          to = S::kVoided;
          break;
        case PaymentOp::kRefund:
          to = S::kRefunded;
          break;
      }
    } else {
      r.status = RecordStatus::kDeclined;
      const Compensation owed = compensation_for(op.owner);
      if (op.type == PaymentOp::kAuthorize) {
        to = S::kDeclined;
      } else if (op.type == PaymentOp::kVoid && reply->reason == "already_captured") {
        // The capture was made (its record lost with a killed saga): a refund is owed instead,
        // and the ledger gets the capture's record, as the gateway told it.
        if (now.status != S::kCaptured) {
          to = S::kCaptured;
          learnt_capture = true;
        }
      } else if (op.type != PaymentOp::kCapture && owed.operation.idempotency_key == key &&
                 owed.action != Compensation::Action::kAwaitOperator) {
        // P3: the compensation owed was refused. Sent again under the next round's key; after
        // compensation_attempts refusals an operator must look.
        ++next.refusals;
        ++next.round;
        if (next.refusals >= options_.compensation_attempts) {
          next.attention_from = now.status;
          to = S::kNeedsAttention;
        }
      }
    }
  }
  if (to) {
    if (auto error = check_transition(op.owner, now.status, *to)) return *error;
    next.status = *to;
  }
  if (r.status != RecordStatus::kSucceeded) next.message = r.message;
  if (learnt_capture) {
    PaymentRecord capture = r;
    capture.type = PaymentOp::kCapture;
    capture.status = RecordStatus::kSucceeded;
    capture.gateway_key = gateway_key(PaymentOp::kCapture, op.owner);
    capture.reason.clear();
    capture.message = "captured: learnt from the void the gateway declined";
    ++next.records;
    capture.id = next.id() + "." + sequence(next.records);
    writes.put(kRecordsTable, record_key(op.owner, next.records),
               json::dump(boost::json::value_from(capture)));
  }
  ++next.records;
  r.id = next.id() + "." + sequence(next.records);
  next.updated_at_ms = now_ms;
  write(next, writes);
  writes.put(kRecordsTable, record_key(op.owner, next.records),
             json::dump(boost::json::value_from(r)));
  it->second = next;
  return Recorded{std::move(r), std::move(next)};
}

std::optional<PaymentRecord> PaymentLedger::abandon(const std::string& owner, std::int64_t now_ms,
                                                    WriteSet& writes) {
  const Payment* p = payment(owner);
  if (!p || p->status != S::kAuthorizing) return std::nullopt;
  const Error unanswered = Error::of(
      ErrorCode::kKilled, "its invocation ended before the gateway answered", "no_answer");
  auto recorded = record(operation(*p, PaymentOp::kAuthorize, 1), unanswered, now_ms, writes);
  if (auto* done = std::get_if<Recorded>(&recorded)) return done->record;
  return std::nullopt;
}

std::variant<Compensation, Error> PaymentLedger::retry(const std::string& owner,
                                                       std::int64_t now_ms, WriteSet& writes) {
  auto it = payments_.find(owner);
  if (it == payments_.end()) return unknown_payment(owner);
  if (it->second.status != S::kNeedsAttention) {
    return Error::of(ErrorCode::kConflict,
                     "the payment of " + owner + " is " +
                         std::string(to_string(it->second.status)) + ", not needs_attention",
                     "payment_not_needing_attention");
  }
  Payment next = it->second;
  if (auto error = check_transition(owner, next.status, next.attention_from)) return *error;
  next.status = next.attention_from;
  next.refusals = 0;
  next.updated_at_ms = now_ms;
  write(next, writes);
  it->second = std::move(next);
  return compensation_for(owner);
}

const Payment* PaymentLedger::payment(const std::string& owner) const {
  auto it = payments_.find(owner);
  return it == payments_.end() ? nullptr : &it->second;
}

const Payment* PaymentLedger::payment_by_id(std::string_view id) const {
  auto owner = owner_of_payment_id(id);
  return owner ? payment(*owner) : nullptr;
}

std::vector<Payment> PaymentLedger::needs_attention() const {
  std::vector<Payment> out;
  for (const auto& [owner, p] : payments_)
    if (p.status == S::kNeedsAttention) out.push_back(p);
  return out;
}

std::vector<std::string> PaymentLedger::open_owners() const {
  std::vector<std::string> out;
  for (const auto& [owner, p] : payments_)
    if (owes_void(p.status) || p.status == S::kNeedsAttention) out.push_back(owner);
  return out;
}

bool PaymentLedger::forget(const std::string& owner) {
  auto it = payments_.find(owner);
  if (it == payments_.end()) return false;
  const S s = it->second.status;
  if (s != S::kCaptured && s != S::kVoided && s != S::kRefunded && s != S::kDeclined) return false;
  payments_.erase(it);
  return true;
}

void PaymentLedger::load(const std::string& owner, const std::string& row) {
  Payment p = boost::json::value_to<Payment>(boost::json::parse(row));
  if (p.owner != owner) throw json::InvalidField("owner", "differs from the row's key " + owner);
  payments_[owner] = std::move(p);
}

}  // namespace orderd::payments
