#include "sim/simulated_scheduler.hpp"

#include <vector>

namespace orderd::sim {

// Events due at the same time run in an order the seed picks, not in the order they were posted:
// the engine must not depend on an order Asio happens to keep.
bool SimulatedScheduler::step() {
  if (events_.empty()) return false;
  std::int64_t first = INT64_MAX;
  for (const auto& [id, e] : events_) first = std::min(first, e.at);
  std::vector<TimerId> due;
  for (const auto& [id, e] : events_)
    if (e.at == first) due.push_back(id);
  auto it = events_.find(due[rng_.next_u64() % due.size()]);
  Task task = std::move(it->second.task);
  events_.erase(it);
  now_ms_ = first;
  task();
  return true;
}

}  // namespace orderd::sim
