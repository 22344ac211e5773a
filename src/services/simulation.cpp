#include "services/simulation.hpp"

#include <random>

namespace orderd::services {

bool Simulation::transient_failure(double rate) const {
  double p = rate * failure_scale;
  if (p <= 0) return false;
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 1)(generator) < p;
}

}  // namespace orderd::services
