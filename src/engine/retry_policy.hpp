#pragma once
// Retry with exponential backoff for non-terminal failures. Defaults are Restate's.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace orderd {

struct RetryPolicy {
  std::int64_t initial_interval_ms = 500;
  double factor = 2.0;
  std::int64_t max_interval_ms = 60'000;
  std::uint32_t max_attempts = 70;  // attempts in all, the first included

  // The wait before attempt `next_attempt` (2 for the first retry).
  std::int64_t delay_before(std::uint32_t next_attempt) const {
    double delay =
        static_cast<double>(initial_interval_ms) *
        std::pow(factor, static_cast<double>(std::max<std::uint32_t>(next_attempt, 2) - 2));
    return static_cast<std::int64_t>(std::min(delay, static_cast<double>(max_interval_ms)));
  }
};

}  // namespace orderd
