#pragma once
// How the seed's simulated services behave: their latency and their transient failures, each
// scaled so tests and benchmarks can run fast (0 turns it off) or exactly as the seed (1).
#include <chrono>
#include <cstdint>

namespace orderd::services {

struct Simulation {
  double latency_scale = 1.0;
  double failure_scale = 1.0;

  std::chrono::milliseconds latency(int base_ms) const {
    return std::chrono::milliseconds(static_cast<long>(base_ms * latency_scale + 0.5));
  }
  // True when a transient failure of base probability `rate` happens now. Drawn from an
  // unjournaled generator on purpose: it models the outside world, so a retry must be able to
  // succeed where the attempt before failed.
  bool transient_failure(double rate) const;
};

// Reseeds this thread's transient-failure generator: the deterministic simulation replays the
// outside world's failures from its seed.
void seed_transient_failures(std::uint64_t seed);

}  // namespace orderd::services
