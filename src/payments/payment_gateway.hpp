#pragma once
// A payment gateway: a card processor's API as orderd sees it, for any owner of money (an order
// "order:ord_…", a trip "trip:trip-001"). Asynchronous like a real client: an operation is
// submitted and its answer delivered later through a Handoff (engine/handoff.hpp), so one
// attempt is an asynchronous effect (Context::run_async, call_gateway below).
//
// Operations are idempotent under their key: asking again under the same key answers the same,
// whoever asks (the saga, the reclaim of a killed owner, an operator's retry). Keys are made by
// owner (gateway_key), so the gateway moves an owner's money once however many invocations ask.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/handoff.hpp"
#include "engine/run_policy.hpp"
#include "engine/task.hpp"

namespace orderd::payments {

enum class PaymentOp { kAuthorize, kCapture, kVoid, kRefund };

// "authorize", "capture", "void", "refund".
std::string_view to_string(PaymentOp op) noexcept;
std::optional<PaymentOp> payment_op_from_string(std::string_view name) noexcept;

// The owner's key for `op`: "authorize/<owner>", "capture/<owner>", "void/<owner>",
// "refund/<owner>"; a round above 1 appends "/<round>" (a compensation sent again after the
// gateway refused the one before: the same key would only get the same refusal back).
std::string gateway_key(PaymentOp op, const std::string& owner, std::uint32_t round = 1);

// What is asked of the gateway.
struct GatewayOperation {
  PaymentOp type = PaymentOp::kAuthorize;
  std::string owner;
  std::string method;       // the payment method ("mock", a card token...)
  std::int64_t amount = 0;  // minor units
  std::string currency;
  std::string idempotency_key;  // gateway_key(...); empty: the effect's own (invocation/step)
  // Capture, void, refund: the authorization's gateway reference when known (a real processor
  // names the authorization by it; the mock goes by owner).
  std::string authorization;
  bool operator==(const GatewayOperation&) const = default;
};

// The key the gateway deduplicates `op` on: its own, else the effect attempt's.
const std::string& effective_key(const GatewayOperation& op, const EffectAttempt& attempt);

enum class ReplyStatus { kSucceeded, kDeclined };

// The gateway's answer. A decline is an answer (the effect ends with it); a failure to answer
// (a timeout, a transport error) fails the attempt, which the effect's RunPolicy retries.
struct GatewayReply {
  ReplyStatus status = ReplyStatus::kSucceeded;
  std::string reference;  // the gateway's reference of the operation
  std::string message;    // for people
  // A decline's stable reason, for the ledger to act on: "card_declined", "already_captured"
  // (a void of a captured authorization: refund instead), "authorization_voided",
  // "nothing_captured", "already_refunded", "refused", "key_reused". Empty when it succeeded.
  std::string reason;
  bool succeeded() const { return status == ReplyStatus::kSucceeded; }
  bool operator==(const GatewayReply&) const = default;
};

class PaymentGateway {
 public:
  virtual ~PaymentGateway() = default;
  virtual bool supports(const std::string& method) const = 0;
  // Starts `op` (one attempt of it); its answer comes through `reply`, on any thread, or never.
  // Called on the engine thread.
  virtual void submit(const GatewayOperation& op, const EffectAttempt& attempt,
                      Handoff<GatewayReply>::Deliverer reply) = 0;
  // How the attempt ended, told by call_gateway on the engine thread: `answered` (a decline
  // included), or not (a failure delivered, the attempt's timeout, a kill: its coroutine went
  // without an answer). For decorators that watch the gateway's health (BreakingGateway).
  virtual void ended(const GatewayOperation& op, const EffectAttempt& attempt, bool answered) {}
};

// One attempt of `op`, as an asynchronous effect:
//   auto call = [gateway, op](const EffectAttempt& a) { return call_gateway(gateway, op, a); };
//   auto f = ctx.run_async("authorize", std::move(call), policy);
// Reports the attempt's end to gateway->ended().
Task<GatewayReply> call_gateway(std::shared_ptr<PaymentGateway> gateway, GatewayOperation op,
                                EffectAttempt attempt);

// JSON, for journaled steps (an effect's result, a step that decides an operation).
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const GatewayOperation& op);
GatewayOperation tag_invoke(boost::json::value_to_tag<GatewayOperation>,
                            const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const GatewayReply& r);
GatewayReply tag_invoke(boost::json::value_to_tag<GatewayReply>, const boost::json::value& v);

}  // namespace orderd::payments
