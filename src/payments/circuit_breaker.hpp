#pragma once
// A circuit breaker for a downstream system (the payment gateway), pure: the clock is passed in.
//
//   closed     calls go through; `failures` consecutive failures (no answer: a timeout, a
//              transport error; a decline is an answer, and a success) open it
//   open       every call is refused at once, for `cooldown_ms` after it opened
//   half_open  the first call after the cooldown is the probe, the only call let through until
//              it ends: its success closes the breaker, its failure opens it again
//
// Ends of calls admitted in an earlier state (a late answer from before it opened, a call
// refused at once) change nothing. Thread-safe: /health reads the status from another thread.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

namespace orderd::payments {

struct BreakerOptions {
  std::uint32_t failures = 5;         // --gateway-breaker-failures; 0: never opens
  std::int64_t cooldown_ms = 30'000;  // --gateway-breaker-cooldown
};

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string_view to_string(BreakerState state) noexcept;  // "closed", "open", "half_open"

struct BreakerStatus {
  BreakerState state = BreakerState::kClosed;
  std::uint32_t consecutive_failures = 0;
  std::int64_t opened_at_ms = 0;  // when it last opened; 0: never
};

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerOptions options = {}) : options_(options) {}

  // A call let through: hand it back to succeeded() or failed() when the call ends.
  struct Pass {
    std::uint64_t id = 0;
    bool probe = false;
  };
  // Whether a call may go out at `now_ms`; nullopt: refused (open, or a probe is out).
  std::optional<Pass> admit(std::int64_t now_ms);
  void succeeded(const Pass& pass, std::int64_t now_ms);
  void failed(const Pass& pass, std::int64_t now_ms);

  // The state at `now_ms`: an open breaker whose cooldown has passed shows as half_open.
  BreakerStatus status(std::int64_t now_ms) const;
  const BreakerOptions& options() const { return options_; }

 private:
  void open(std::int64_t now_ms);
  BreakerOptions options_;
  mutable std::mutex mutex_;
  BreakerStatus status_;
  std::uint64_t next_pass_ = 1;
  // Passes below this were given before the breaker last opened: their ends are stale.
  std::uint64_t epoch_ = 1;
  std::optional<std::uint64_t> probe_;  // the probe out, in half_open
};

}  // namespace orderd::payments
