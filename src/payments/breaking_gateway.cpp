#include "payments/breaking_gateway.hpp"

#include "engine/scheduler.hpp"

namespace orderd::payments {
namespace {

std::string attempt_id(const EffectAttempt& attempt) {
  return attempt.idempotency_key + "#" + std::to_string(attempt.attempt);
}

}  // namespace

void BreakingGateway::submit(const GatewayOperation& op, const EffectAttempt& attempt,
                             Handoff<GatewayReply>::Deliverer reply) {
  std::optional<CircuitBreaker::Pass> pass = breaker_->admit(clock_.now_ms());
  if (!pass) {
    const BreakerStatus status = breaker_->status(clock_.now_ms());
    reply.fail(std::string(kBreakerRefusal) + " (" + std::to_string(status.consecutive_failures) +
               " consecutive failures); it lets a call through " +
               std::to_string(breaker_->options().cooldown_ms) + " ms after it opened");
    return;
  }
  out_[attempt_id(attempt)] = *pass;
  inner_->submit(op, attempt, std::move(reply));
}

void BreakingGateway::ended(const GatewayOperation& op, const EffectAttempt& attempt,
                            bool answered) {
  inner_->ended(op, attempt, answered);
  auto it = out_.find(attempt_id(attempt));
  if (it == out_.end()) return;  // refused at once: the breaker's own doing, not the gateway's
  const CircuitBreaker::Pass pass = it->second;
  out_.erase(it);
  if (answered)
    breaker_->succeeded(pass, clock_.now_ms());
  else
    breaker_->failed(pass, clock_.now_ms());
}

bool refused_by_breaker(const Error& effect_failure) {
  return effect_failure.message.find(kBreakerRefusal) != std::string::npos;
}

Error payment_unavailable(const Error& effect_failure) {
  ErrorCode code = ErrorCode::kUpstreamFailed;
  if (refused_by_breaker(effect_failure))
    code = ErrorCode::kUnavailable;
  else if (effect_failure.code == ErrorCode::kDeadlineExceeded)
    code = ErrorCode::kDeadlineExceeded;
  return Error::of(code, "the payment gateway did not answer: " + effect_failure.message,
                   "payment_unavailable");
}

}  // namespace orderd::payments
