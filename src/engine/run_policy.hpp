#pragma once
// How an effect step (Context::run_on_worker, run_async) retries, and what each attempt knows.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "engine/retry_policy.hpp"

namespace orderd {

struct RunPolicy {
  // An attempt still running after this long has failed (0: no limit). A blocking attempt cannot
  // be stopped: its worker stays busy until it returns, and its result is ignored once the next
  // attempt has started.
  std::chrono::milliseconds timeout{0};
  // Attempts before the step fails for good with a terminal error the handler can compensate
  // for: deadline_exceeded (504) when the last attempt timed out, upstream_failed (502)
  // otherwise. 0: retry until the effect succeeds or fails terminally (an operator can still
  // kill or cancel the invocation).
  std::uint32_t max_attempts = 0;
  // The delay before the second attempt, growing by `backoff_factor` up to `max_backoff`.
  std::chrono::milliseconds initial_backoff{100};
  double backoff_factor = 2.0;
  std::chrono::milliseconds max_backoff{10'000};

  std::int64_t backoff_before(std::uint32_t attempt) const {  // attempt >= 2
    return RetryPolicy{initial_backoff.count(), backoff_factor, max_backoff.count(), 0}
        .delay_before(attempt);
  }
};

// What one attempt of an effect is told.
struct EffectAttempt {
  // Names the effect for good: the same on every attempt and after every crash (the invocation
  // id and the step's journal index). The outside system deduplicates on it.
  std::string idempotency_key;
  std::uint32_t attempt = 1;
  // Asynchronous effects: runs `fn` on the engine thread, from any thread (handoff.hpp uses it).
  std::function<void(std::function<void()>)> post;
};

}  // namespace orderd
