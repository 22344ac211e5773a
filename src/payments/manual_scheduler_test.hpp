#pragma once
// For the payments tests: a scheduler whose clock and queue the test turns.
#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

#include "engine/scheduler.hpp"

namespace orderd::payments {

class ManualScheduler : public Scheduler {
 public:
  std::int64_t now_ms() const override { return now; }
  void post(Task task) override { ready.push_back(std::move(task)); }
  TimerId schedule_at(std::int64_t when_ms, Task task) override {
    timers.push_back({when_ms, std::move(task)});
    return timers.size();
  }
  TimerId schedule_after(std::int64_t delay_ms, Task task) override {
    return schedule_at(now + delay_ms, std::move(task));
  }
  void cancel(TimerId) override {}
  // Runs what is due, timers up to `until` included.
  void run(std::int64_t until) {
    now = std::max(now, until);
    for (bool ran = true; ran;) {
      ran = false;
      while (!ready.empty()) {
        Task t = std::move(ready.front());
        ready.pop_front();
        t();
        ran = true;
      }
      for (std::size_t i = 0; i < timers.size(); ++i)  // a timer may add timers
        if (timers[i].second && timers[i].first <= now) {
          Task t = std::move(timers[i].second);
          timers[i].second = nullptr;
          t();
          ran = true;
        }
    }
  }
  std::int64_t now = 1'000'000;
  std::deque<Task> ready;
  std::vector<std::pair<std::int64_t, Task>> timers;
};

}  // namespace orderd::payments
