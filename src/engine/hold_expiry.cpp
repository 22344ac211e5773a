#include "engine/hold_expiry.hpp"

#include "engine/engine.hpp"
#include "engine/scheduler.hpp"

namespace orderd {

void HoldExpiry::attach(Engine& engine, Scheduler& scheduler) {
  engine_ = &engine;
  scheduler_ = &scheduler;
  timer_ = 0;  // an earlier scheduler's timer went with it
}

void HoldExpiry::arm() {
  if (!scheduler_) return;
  auto next = holds_.next_expiry();
  if (!next || (timer_ && armed_at_ms_ <= *next)) return;
  if (timer_) scheduler_->cancel(timer_);
  schedule_at(*next);
}

void HoldExpiry::schedule_at(std::int64_t when_ms) {
  armed_at_ms_ = when_ms;
  timer_ = scheduler_->schedule_at(when_ms, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    timer_ = 0;
    run();
  });
}

std::size_t HoldExpiry::run() {
  if (!engine_ || !scheduler_) return 0;
  const std::int64_t now_ms = scheduler_->now_ms();
  WriteSet writes;
  const std::size_t due = holds_.expire_due(now_ms, batch_, writes);
  if (due > 0) ++batches_;
  if (!writes.empty()) engine_->write_rows(writes.take(), [] {});
  if (timer_) scheduler_->cancel(timer_);
  timer_ = 0;
  // A full batch may leave more due: the next turn takes them (others' work runs between).
  if (due == batch_)
    schedule_at(now_ms);
  else
    arm();
  return due;
}

}  // namespace orderd
