#pragma once
// Tells the outbox's readers (the SSE stream, the JetStream relay) when events past their cursor
// have become durable, so they read the store when there is something to read instead of polling.
//
// F1. durable_through() only grows, and every event whose sequence is at or below it is durable
//     or was never written (a step that emitted and then failed leaves a gap in the ids, never a
//     late arrival): batches commit in order (Engine::after_durable) and ids are handed out in
//     the order their batches are written (outbox.hpp, E1), and the feed takes its
//     after_durable only once the emitting step has queued its rows (a turn of the loop later).
//     So a reader that scans the store past its cursor up to durable_through() misses nothing,
//     now or later. (The simulation, one write per batch, caught an arm taken inside the emit.)
//
// Threading: the engine thread, like the Outbox.
#include <cstdint>
#include <map>
#include <memory>

#include "common/unique_function.hpp"

namespace orderd {
class Engine;
class Scheduler;
}  // namespace orderd

namespace orderd::commerce {

class Outbox;

class EventFeed {
 public:
  using WaiterId = std::uint64_t;

  // After the Outbox has loaded. durable_through() is 0 until what was emitted before is durable.
  EventFeed(Engine& engine, Scheduler& scheduler, Outbox& outbox);
  ~EventFeed();
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;

  std::uint64_t durable_through() const { return durable_; }
  std::uint64_t emitted_through() const;

  // Calls `wake` once, on the engine thread and never from inside this call, as soon as
  // durable_through() > after. The returned id cancels the wait (a reader that went away).
  WaiterId wait(std::uint64_t after, UniqueFunction<void()> wake);
  void cancel(WaiterId id);
  std::size_t waiting() const { return waiters_.size(); }

 private:
  struct Waiter {
    std::uint64_t after = 0;
    UniqueFunction<void()> wake;
  };
  void emitted();
  void arm();
  void became_durable(std::uint64_t through);

  Engine& engine_;
  Scheduler& scheduler_;
  Outbox& outbox_;
  std::uint64_t durable_ = 0;
  bool armed_ = false;  // one Engine::after_durable outstanding at most
  bool arm_posted_ = false;
  WaiterId next_id_ = 1;
  std::map<WaiterId, Waiter> waiters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace orderd::commerce
