#include "services/simulation.hpp"

#include <random>

namespace orderd::services {

namespace {
std::mt19937_64& failure_generator() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator;
}
}  // namespace

bool Simulation::transient_failure(double rate) const {
  double p = rate * failure_scale;
  if (p <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(failure_generator()) < p;
}

void seed_transient_failures(std::uint64_t seed) {
  failure_generator().seed(seed);
}

}  // namespace orderd::services
