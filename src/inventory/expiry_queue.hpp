#pragma once
// The holds that expire, ordered by (expires_at, id): the next one and those due are found in
// O(log n), and ties come out in id order so every replica sees the same sequence.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace orderd::inventory {

class ExpiryQueue {
 public:
  // `at` > 0; a hold that never expires is not in the queue.
  void add(std::int64_t at, const std::string& hold_id) { entries_.emplace(at, hold_id); }
  void remove(std::int64_t at, const std::string& hold_id) { entries_.erase({at, hold_id}); }
  bool contains(std::int64_t at, const std::string& hold_id) const {
    return entries_.count({at, hold_id}) > 0;
  }

  std::optional<std::int64_t> next() const;
  // The ids of holds with expires_at <= now_ms, oldest first, at most `limit` of them.
  std::vector<std::string> due(std::int64_t now_ms, std::size_t limit) const;

  std::size_t size() const { return entries_.size(); }
  const std::set<std::pair<std::int64_t, std::string>>& entries() const { return entries_; }

 private:
  std::set<std::pair<std::int64_t, std::string>> entries_;
};

}  // namespace orderd::inventory
