#pragma once
// Virtual time and a seeded event order for the deterministic simulation. Nothing runs until
// step() is called; each step runs one event among those due first, picked by the seed, and
// moves the clock to its time. The same seed gives the same run, to the last event.
#include <cstdint>
#include <map>

#include "common/ids.hpp"
#include "engine/scheduler.hpp"

namespace orderd::sim {

class SimulatedScheduler final : public Scheduler {
 public:
  SimulatedScheduler(std::uint64_t seed, std::int64_t start_ms) : rng_(seed), now_ms_(start_ms) {}

  std::int64_t now_ms() const override { return now_ms_; }
  void post(Task task) override { add(now_ms_, std::move(task)); }
  TimerId schedule_at(std::int64_t when_ms, Task task) override {
    return add(std::max(when_ms, now_ms_), std::move(task));
  }
  TimerId schedule_after(std::int64_t delay_ms, Task task) override {
    return add(now_ms_ + std::max<std::int64_t>(0, delay_ms), std::move(task));
  }
  void cancel(TimerId id) override { events_.erase(id); }

  // Runs one event; false when there is none.
  bool step();
  std::size_t pending() const { return events_.size(); }
  // A number in [0, bound) from the run's seed, for the simulation's own choices.
  std::uint64_t draw(std::uint64_t bound) { return rng_.next_u64() % bound; }

 private:
  struct Event {
    std::int64_t at;
    Task task;
  };
  TimerId add(std::int64_t at, Task task) {
    TimerId id = ++next_id_;
    events_.emplace(id, Event{at, std::move(task)});
    return id;
  }

  ids::DeterministicRandom rng_;
  std::int64_t now_ms_;
  std::map<TimerId, Event> events_;  // by id: creation order, so a scan is reproducible
  TimerId next_id_ = 0;
};

}  // namespace orderd::sim
