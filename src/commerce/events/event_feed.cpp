#include "commerce/events/event_feed.hpp"

#include <vector>

#include "commerce/events/outbox.hpp"
#include "engine/engine.hpp"
#include "engine/scheduler.hpp"

namespace orderd::commerce {

EventFeed::EventFeed(Engine& engine, Scheduler& scheduler, Outbox& outbox)
    : engine_(engine), scheduler_(scheduler), outbox_(outbox) {
  outbox_.on_emit([this] { emitted(); });
  // Events emitted before the feed (a catalog seeded at start) may not be durable yet: known
  // once everything written so far is.
  arm();
}

EventFeed::~EventFeed() {
  *alive_ = false;
  outbox_.on_emit({});
}

std::uint64_t EventFeed::emitted_through() const {
  return outbox_.last_sequence();
}

EventFeed::WaiterId EventFeed::wait(std::uint64_t after, UniqueFunction<void()> wake) {
  const WaiterId id = next_id_++;
  waiters_.emplace(id, Waiter{after, std::move(wake)});
  if (durable_ > after) {
    // Already there: woken from the loop, never inside the caller's own call.
    scheduler_.post([this, alive = alive_] {
      if (*alive) became_durable(durable_);
    });
  } else {
    arm();
  }
  return id;
}

void EventFeed::cancel(WaiterId id) {
  waiters_.erase(id);
}

void EventFeed::emitted() {
  // Armed from the loop, not here: the emitting step has not queued its rows yet, and an
  // after_durable taken now could complete with the batch before theirs (F1). Always, waiters
  // or not, so durable_through() stays current for /health; one post per turn at most.
  if (arm_posted_) return;
  arm_posted_ = true;
  scheduler_.post([this, alive = alive_] {
    if (!*alive) return;
    arm_posted_ = false;
    arm();
  });
}

void EventFeed::arm() {
  if (armed_ || outbox_.last_sequence() <= durable_) return;  // nothing new yet: emitted() re-arms
  armed_ = true;
  const std::uint64_t through = outbox_.last_sequence();
  engine_.after_durable([this, alive = alive_, through] {
    if (!*alive) return;
    armed_ = false;
    became_durable(through);
  });
}

void EventFeed::became_durable(std::uint64_t through) {
  if (through > durable_) durable_ = through;
  std::vector<UniqueFunction<void()>> woken;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->second.after < durable_) {
      woken.push_back(std::move(it->second.wake));
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& wake : woken) wake();
  arm();
}

}  // namespace orderd::commerce
