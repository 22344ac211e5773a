#include "payments/payment_gateway.hpp"

#include <array>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "common/json_fields.hpp"

namespace orderd::payments {
namespace {

constexpr std::array<std::string_view, 4> kOpNames{"authorize", "capture", "void", "refund"};

// Tells the gateway how the attempt ended, once: an answer, or (from the destructor, when the
// attempt's coroutine goes without one: a failure, its timeout, a kill) none.
class AttemptEnd {
 public:
  AttemptEnd(std::shared_ptr<PaymentGateway> gateway, const GatewayOperation& op,
             const EffectAttempt& attempt)
      : gateway_(std::move(gateway)), op_(op), attempt_(attempt) {}
  AttemptEnd(const AttemptEnd&) = delete;
  AttemptEnd& operator=(const AttemptEnd&) = delete;
  ~AttemptEnd() {
    if (!told_) tell(false);
  }
  void answered() { tell(true); }

 private:
  void tell(bool answered) noexcept {
    told_ = true;
    try {
      gateway_->ended(op_, attempt_, answered);
    } catch (...) {  // a watcher's failure must not fail the payment
    }
  }
  std::shared_ptr<PaymentGateway> gateway_;
  const GatewayOperation& op_;
  const EffectAttempt& attempt_;
  bool told_ = false;
};

}  // namespace

std::string_view to_string(PaymentOp op) noexcept {
  return kOpNames[static_cast<std::size_t>(op)];
}

std::optional<PaymentOp> payment_op_from_string(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kOpNames.size(); ++i)
    if (kOpNames[i] == name) return static_cast<PaymentOp>(i);
  return std::nullopt;
}

std::string gateway_key(PaymentOp op, const std::string& owner, std::uint32_t round) {
  std::string key = std::string(to_string(op)) + "/" + owner;
  if (round > 1) key += "/" + std::to_string(round);
  return key;
}

const std::string& effective_key(const GatewayOperation& op, const EffectAttempt& attempt) {
  return op.idempotency_key.empty() ? attempt.idempotency_key : op.idempotency_key;
}

Task<GatewayReply> call_gateway(std::shared_ptr<PaymentGateway> gateway, GatewayOperation op,
                                EffectAttempt attempt) {
  AttemptEnd end(gateway, op, attempt);  // declared first: told last, after the Handoff went
  Handoff<GatewayReply> reply(attempt);
  gateway->submit(op, attempt, reply.deliverer());
  GatewayReply answer = co_await reply;  // a delivered failure throws: the attempt failed
  end.answered();
  co_return answer;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const GatewayOperation& op) {
  v = {{"type", to_string(op.type)},
       {"owner", op.owner},
       {"method", op.method},
       {"amount", op.amount},
       {"currency", op.currency},
       {"idempotency_key", op.idempotency_key},
       {"authorization", op.authorization}};
}

GatewayOperation tag_invoke(boost::json::value_to_tag<GatewayOperation>,
                            const boost::json::value& v) {
  const auto& o = json::as_object(v);
  auto type = payment_op_from_string(json::require_string(o, "type"));
  if (!type) throw json::InvalidField("type", "is not a payment operation");
  return {*type,
          json::require_string(o, "owner"),
          json::require_string(o, "method"),
          json::require_integer(o, "amount"),
          json::require_string(o, "currency"),
          json::require_string(o, "idempotency_key"),
          json::optional_string(o, "authorization")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const GatewayReply& r) {
  v = {{"status", r.succeeded() ? "succeeded" : "declined"},
       {"reference", r.reference},
       {"message", r.message},
       {"reason", r.reason}};
}

GatewayReply tag_invoke(boost::json::value_to_tag<GatewayReply>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  const std::string status = json::require_string(o, "status");
  if (status != "succeeded" && status != "declined")
    throw json::InvalidField("status", "must be succeeded or declined");
  return {status == "succeeded" ? ReplyStatus::kSucceeded : ReplyStatus::kDeclined,
          json::require_string(o, "reference"), json::require_string(o, "message"),
          json::optional_string(o, "reason")};
}

}  // namespace orderd::payments
