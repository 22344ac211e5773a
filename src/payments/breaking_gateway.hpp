#pragma once
// A gateway behind a circuit breaker (circuit_breaker.hpp): while the breaker is open, an
// attempt fails at once, without reaching the gateway, with a reason that starts with
// kBreakerRefusal; once the cooldown has passed, one attempt goes through as the probe.
//
// A refused attempt is a failure to answer, not an answer: the effect's RunPolicy retries it.
// An authorization (whose policy has max_attempts) so fails within its backoffs instead of its
// timeouts, and payment_unavailable() turns that failure into 503 payment_unavailable; a
// capture, void or refund (retried until it succeeds) waits for the breaker to close.
//
// The breaker learns how each attempt it let through ended from call_gateway
// (PaymentGateway::ended): an answer (a decline included) is a success; a delivered failure, the
// attempt's timeout or a kill is a failure.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/error.hpp"
#include "payments/circuit_breaker.hpp"
#include "payments/payment_gateway.hpp"

namespace orderd {
class Scheduler;
}

namespace orderd::payments {

inline constexpr std::string_view kBreakerRefusal = "payment gateway circuit open";

class BreakingGateway : public PaymentGateway {
 public:
  BreakingGateway(std::shared_ptr<PaymentGateway> inner, std::shared_ptr<CircuitBreaker> breaker,
                  const Scheduler& clock)
      : inner_(std::move(inner)), breaker_(std::move(breaker)), clock_(clock) {}

  bool supports(const std::string& method) const override { return inner_->supports(method); }
  void submit(const GatewayOperation& op, const EffectAttempt& attempt,
              Handoff<GatewayReply>::Deliverer reply) override;
  void ended(const GatewayOperation& op, const EffectAttempt& attempt, bool answered) override;

  const CircuitBreaker& breaker() const { return *breaker_; }

 private:
  std::shared_ptr<PaymentGateway> inner_;
  std::shared_ptr<CircuitBreaker> breaker_;
  const Scheduler& clock_;
  // The passes of attempts let through, by "<effect key>#<attempt>" (engine thread only).
  std::unordered_map<std::string, CircuitBreaker::Pass> out_;
};

// Whether an effect's failure (Result<GatewayReply>::error()) is the breaker's refusal.
bool refused_by_breaker(const Error& effect_failure);

// The error an owner fails with when its authorization got no answer: 503 payment_unavailable
// when the breaker refused the last attempt, else 504 (the last attempt timed out) or 502,
// reason payment_unavailable all three.
Error payment_unavailable(const Error& effect_failure);

}  // namespace orderd::payments
