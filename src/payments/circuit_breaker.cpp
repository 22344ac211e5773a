#include "payments/circuit_breaker.hpp"

namespace orderd::payments {

std::string_view to_string(BreakerState state) noexcept {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

std::optional<CircuitBreaker::Pass> CircuitBreaker::admit(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  switch (status_.state) {
    case BreakerState::kClosed:
      return Pass{next_pass_++, false};
    case BreakerState::kOpen:
      if (now_ms - status_.opened_at_ms < options_.cooldown_ms) return std::nullopt;
      status_.state = BreakerState::kHalfOpen;
      probe_ = next_pass_++;
      return Pass{*probe_, true};
    case BreakerState::kHalfOpen:
      return std::nullopt;  // the probe is out: one call only
  }
  return std::nullopt;
}

void CircuitBreaker::succeeded(const Pass& pass, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (status_.state == BreakerState::kHalfOpen) {
    if (probe_ != pass.id) return;
    probe_.reset();
    status_.state = BreakerState::kClosed;
    status_.consecutive_failures = 0;
    return;
  }
  if (status_.state == BreakerState::kClosed && pass.id >= epoch_) status_.consecutive_failures = 0;
}

void CircuitBreaker::failed(const Pass& pass, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (status_.state == BreakerState::kHalfOpen) {
    if (probe_ != pass.id) return;
    probe_.reset();
    ++status_.consecutive_failures;
    open(now_ms);
    return;
  }
  if (status_.state != BreakerState::kClosed || pass.id < epoch_) return;
  ++status_.consecutive_failures;
  if (options_.failures > 0 && status_.consecutive_failures >= options_.failures) open(now_ms);
}

void CircuitBreaker::open(std::int64_t now_ms) {
  status_.state = BreakerState::kOpen;
  status_.opened_at_ms = now_ms;
  epoch_ = next_pass_;
}

BreakerStatus CircuitBreaker::status(std::int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  BreakerStatus shown = status_;
  if (shown.state == BreakerState::kOpen && now_ms - shown.opened_at_ms >= options_.cooldown_ms)
    shown.state = BreakerState::kHalfOpen;
  return shown;
}

}  // namespace orderd::payments
