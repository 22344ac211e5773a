#pragma once
// Time and execution for the engine, behind an interface so that tests (and, later, the
// deterministic simulator) can drive the clock and the event order themselves.
#include <cstdint>
#include <functional>

namespace orderd {

class Scheduler {
 public:
  using Task = std::function<void()>;
  using TimerId = std::uint64_t;
  virtual ~Scheduler() = default;

  // Wall-clock milliseconds since the Unix epoch: durable timers are stored in this unit.
  virtual std::int64_t now_ms() const = 0;
  // Runs `task` on the engine's thread. Safe to call from any thread.
  virtual void post(Task task) = 0;
  // Runs `task` on the engine's thread at `when_ms` (at once if that has passed).
  virtual TimerId schedule_at(std::int64_t when_ms, Task task) = 0;
  // Runs `task` on the engine's thread `delay_ms` from now, measured on a monotonic clock.
  virtual TimerId schedule_after(std::int64_t delay_ms, Task task) = 0;
  virtual void cancel(TimerId id) = 0;
};

}  // namespace orderd
