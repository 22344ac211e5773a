#include "payments/payment.hpp"

#include <array>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <cstdio>

#include "common/json_fields.hpp"

namespace orderd::payments {
namespace {

constexpr std::array<std::string_view, 9> kStatusNames{
    "intended", "authorizing", "authorized", "uncertain",      "declined",
    "captured", "voided",      "refunded",   "needs_attention"};

constexpr std::array<std::string_view, 3> kRecordStatusNames{"succeeded", "declined", "failed"};

using S = PaymentStatus;

PaymentStatus status_field(const boost::json::object& o, const char* field) {
  auto status = payment_status_from_string(json::require_string(o, field));
  if (!status) throw json::InvalidField(field, "is not a payment status");
  return *status;
}

std::uint32_t count_field(const boost::json::object& o, const char* field) {
  const std::int64_t n = json::require_integer(o, field);
  if (n < 0 || n > UINT32_MAX) throw json::InvalidField(field, "is out of range");
  return static_cast<std::uint32_t>(n);
}

}  // namespace

std::string_view to_string(PaymentStatus status) noexcept {
  return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<PaymentStatus> payment_status_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i)
    if (kStatusNames[i] == name) return static_cast<PaymentStatus>(i);
  return std::nullopt;
}

std::string_view to_string(RecordStatus status) noexcept {
  return kRecordStatusNames[static_cast<std::size_t>(status)];
}

bool legal_transition(PaymentStatus from, PaymentStatus to) noexcept {
  switch (from) {
    case S::kIntended:
      return to == S::kAuthorizing || to == S::kVoided || to == S::kNeedsAttention;
    case S::kAuthorizing:
      return to == S::kAuthorized || to == S::kDeclined || to == S::kUncertain ||
             to == S::kVoided || to == S::kNeedsAttention;
    case S::kAuthorized:
      return to == S::kCaptured || to == S::kVoided || to == S::kNeedsAttention;
    case S::kUncertain:
      return to == S::kVoided || to == S::kNeedsAttention;
    case S::kCaptured:
      return to == S::kRefunded || to == S::kNeedsAttention;
    case S::kNeedsAttention:  // a retry: back to the status that owes the compensation
      return to == S::kIntended || to == S::kAuthorizing || to == S::kAuthorized ||
             to == S::kUncertain || to == S::kCaptured;
    case S::kDeclined:
    case S::kVoided:
    case S::kRefunded:
      return false;  // final
  }
  return false;
}

std::optional<Error> check_transition(const std::string& owner, PaymentStatus from,
                                      PaymentStatus to) {
  if (legal_transition(from, to)) return std::nullopt;
  return illegal_transition(owner, from, to);
}

Error illegal_transition(const std::string& owner, PaymentStatus from, PaymentStatus to) {
  return Error::of(ErrorCode::kInternal,
                   "payment of " + owner + " cannot go from " + std::string(to_string(from)) +
                       " to " + std::string(to_string(to)),
                   "illegal_payment_transition");
}

std::string Payment::id() const {
  std::string id = "pay_" + owner;
  for (std::size_t i = 4; i < id.size(); ++i)
    if (id[i] == ':') id[i] = '.';
  return id;
}

std::optional<std::string> owner_of_payment_id(std::string_view id) {
  if (id.substr(0, 4) != "pay_") return std::nullopt;
  std::string owner(id.substr(4));
  for (char& c : owner)
    if (c == '.') c = ':';
  if (check_owner(owner)) return std::nullopt;
  return owner;
}

std::optional<Error> check_owner(const std::string& owner) {
  bool ok = !owner.empty() && owner.size() <= 128;
  for (char c : owner)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == ':' || c == '_' || c == '-');
  if (ok) return std::nullopt;
  return Error::of(ErrorCode::kInvalidArgument,
                   "a payment's owner is 1 to 128 characters of A-Z a-z 0-9 : _ -",
                   "invalid_payment_owner");
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Payment& p) {
  boost::json::array answered;
  for (const auto& key : p.answered) answered.emplace_back(key);
  v = {{"owner", p.owner},
       {"method", p.method},
       {"amount", p.amount},
       {"currency", p.currency},
       {"status", to_string(p.status)},
       {"authorization", p.authorization},
       {"attention_from", to_string(p.attention_from)},
       {"refusals", p.refusals},
       {"round", p.round},
       {"records", p.records},
       {"answered", std::move(answered)},
       {"message", p.message},
       {"created_at_ms", p.created_at_ms},
       {"updated_at_ms", p.updated_at_ms}};
}

Payment tag_invoke(boost::json::value_to_tag<Payment>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  Payment p;
  p.owner = json::require_string(o, "owner");
  p.method = json::require_string(o, "method");
  p.amount = json::require_integer(o, "amount");
  p.currency = json::require_string(o, "currency");
  p.status = status_field(o, "status");
  p.authorization = json::require_string(o, "authorization");
  p.attention_from = status_field(o, "attention_from");
  p.refusals = count_field(o, "refusals");
  p.round = count_field(o, "round");
  p.records = count_field(o, "records");
  const auto* answered = o.if_contains("answered");
  if (!answered || !answered->is_array()) throw json::InvalidField("answered", "must be an array");
  for (const auto& key : answered->get_array()) {
    if (!key.is_string()) throw json::InvalidField("answered", "must hold strings");
    p.answered.emplace_back(key.get_string());
  }
  p.message = json::require_string(o, "message");
  p.created_at_ms = json::require_integer(o, "created_at_ms");
  p.updated_at_ms = json::require_integer(o, "updated_at_ms");
  return p;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const PaymentRecord& r) {
  v = {{"id", r.id},
       {"owner", r.owner},
       {"type", to_string(r.type)},
       {"status", to_string(r.status)},
       {"amount", r.amount},
       {"currency", r.currency},
       {"reference", r.reference},
       {"message", r.message},
       {"reason", r.reason},
       {"gateway_key", r.gateway_key},
       {"created_at_ms", r.created_at_ms}};
}

PaymentRecord tag_invoke(boost::json::value_to_tag<PaymentRecord>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  PaymentRecord r;
  r.id = json::require_string(o, "id");
  r.owner = json::require_string(o, "owner");
  auto type = payment_op_from_string(json::require_string(o, "type"));
  if (!type) throw json::InvalidField("type", "is not a payment operation");
  r.type = *type;
  const std::string status = json::require_string(o, "status");
  bool known = false;
  for (std::size_t i = 0; i < kRecordStatusNames.size(); ++i)
    if (kRecordStatusNames[i] == status) {
      r.status = static_cast<RecordStatus>(i);
      known = true;
    }
  if (!known) throw json::InvalidField("status", "is not a record status");
  r.amount = json::require_integer(o, "amount");
  r.currency = json::require_string(o, "currency");
  r.reference = json::require_string(o, "reference");
  r.message = json::require_string(o, "message");
  r.reason = json::require_string(o, "reason");
  r.gateway_key = json::require_string(o, "gateway_key");
  r.created_at_ms = json::require_integer(o, "created_at_ms");
  return r;
}

}  // namespace orderd::payments
