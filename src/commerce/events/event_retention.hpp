#pragma once
// Retention of the outbox: events older than the retention are purged by the engine's
// retention sweep (Engine::add_sweeper), a bounded batch at a time, from the oldest. With a
// relay, only events the broker has acknowledged go (R1): an unpublished event is never lost to
// age, however long the broker stays away. The newest event is never purged (its id is where
// the sequence resumes, outbox.hpp E1).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "store/rows.hpp"

namespace orderd {
class Engine;
class Scheduler;
}  // namespace orderd

namespace orderd::commerce {

struct RetentionOptions {
  std::int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  std::size_t batch = 1000;  // events deleted per pass at most
};

class EventRetention {
 public:
  // `published_through`: the last sequence the relay has published; empty without a relay.
  EventRetention(Engine& engine, Scheduler& scheduler, RetentionOptions options,
                 std::function<std::uint64_t()> published_through);
  ~EventRetention();
  EventRetention(const EventRetention&) = delete;
  EventRetention& operator=(const EventRetention&) = delete;

  // One pass: scans the oldest `batch` events off the engine thread, deletes those due, and
  // passes again at once while whole batches go. Engine::add_sweeper calls it.
  void sweep();
  std::uint64_t purged() const { return purged_; }
  std::uint64_t passes() const { return passes_; }  // scans answered

 private:
  void scanned(std::int64_t cutoff, std::optional<std::vector<store::Row>> rows);

  Engine& engine_;
  Scheduler& scheduler_;
  RetentionOptions options_;
  std::function<std::uint64_t()> published_through_;
  bool busy_ = false;
  std::uint64_t purged_ = 0;
  std::uint64_t passes_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace orderd::commerce
