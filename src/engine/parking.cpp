#include "engine/engine_internal.hpp"

// Parking: invocations that wait on nothing but time or the outside world (a sleep, an
// awakeable, a workflow's promise) cost no CPU, so they do not count against --max-inflight; a
// saga can wait hours for a payment webhook while new orders come in. After unload_after_ms of
// waiting their coroutine frames are dropped, keeping only the record and the journal in memory;
// the step they wait for replays them from that journal, as a retry would (I3), without counting
// an attempt.

namespace orderd {

namespace {

bool waits_on_the_world(EntryKind kind) {
  return kind == EntryKind::kSleep || kind == EntryKind::kAwakeable ||
         kind == EntryKind::kGetPromise;
}

}  // namespace

void Invocation::suspend_until_any(std::span<const std::uint32_t> wanted,
                                   std::coroutine_handle<> waiter) {
  suspended = waiter;
  waiting_on.assign(wanted.begin(), wanted.end());
  engine_.park_if_idle(*this);
}

void Engine::Impl::park_if_idle(Invocation& inv) {
  // Waiting on a call or an effect is work in progress. A replay that waits (a recovered sleep
  // with time left) parks like a live wait.
  if (inv.parked) return;
  for (auto step : inv.waiting_on)
    if (!waits_on_the_world(inv.steps.at(step).kind)) return;
  inv.parked = true;
  inv.parked_since_ms = scheduler.now_ms();
  ++parked_count;
  count_up(parked_by_principal, inv.record.principal);  // Q1
  if (!unload_timer && options.unload_after_ms > 0) {
    unload_timer = scheduler.schedule_after(std::max<std::int64_t>(1, options.unload_after_ms / 2),
                                            [this] { unload_sweep(); });
  }
}

void Engine::Impl::unpark(Invocation& inv) {
  if (inv.unloaded) {
    inv.unloaded = false;
    --unloaded_count;
  }
  if (!inv.parked) return;
  inv.parked = false;
  --parked_count;
  count_down(parked_by_principal, inv.record.principal);  // Q1
}

void Engine::Impl::wake(Invocation& inv) {
  const bool was_unloaded = inv.unloaded;
  unpark(inv);
  inv.waiting_on.clear();
  if (!was_unloaded) {
    auto handle = std::exchange(inv.suspended, {});
    handle.resume();
    after_resume(inv);
    return;
  }
  // Replays up to the step that is now done, and goes on from there; not an attempt.
  run_from_the_top(inv);
}

void Engine::Impl::unload_sweep() {
  unload_timer = 0;
  if (parked_count == 0) return;  // re-armed by the next invocation that parks
  const auto cutoff = scheduler.now_ms() - options.unload_after_ms;
  for (auto& [id, inv] : invocations) {
    if (!inv->parked || inv->unloaded || inv->parked_since_ms > cutoff || !inv->suspended) continue;
    // What a retry would drop; the steps, with their outcomes and timers, stay.
    inv->suspended = {};
    inv->root = {};
    inv->context.reset();
    inv->unloaded = true;
    ++unloaded_count;
  }
  unload_timer = scheduler.schedule_after(std::max<std::int64_t>(1, options.unload_after_ms / 2),
                                          [this] { unload_sweep(); });
}

}  // namespace orderd
