#include "inventory/expiry_queue.hpp"

namespace orderd::inventory {

std::optional<std::int64_t> ExpiryQueue::next() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.begin()->first;
}

std::vector<std::string> ExpiryQueue::due(std::int64_t now_ms, std::size_t limit) const {
  std::vector<std::string> ids;
  for (auto it = entries_.begin(); it != entries_.end() && it->first <= now_ms; ++it) {
    if (ids.size() >= limit) break;
    ids.push_back(it->second);
  }
  return ids;
}

}  // namespace orderd::inventory
