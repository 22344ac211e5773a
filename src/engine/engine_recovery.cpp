#include "engine/engine_internal.hpp"

// Recovery after a restart, and the retention sweep.

namespace orderd {

void Engine::Impl::sweep() {
  sweep_timer = 0;
  const auto now = scheduler.now_ms();
  const auto retention = std::max(options.journal_retention_ms, options.idempotency_retention_ms);
  const auto cutoff = now - retention;
  auto old = store.finished_before(ids::id_time_prefix(cutoff), cutoff, options.sweep_batch);
  std::size_t purged = 0;
  for (auto& record : old) {
    if (purge_refusal(record)) continue;       // a domain still needs it: a later sweep
    if (!drop_workflow_key(record)) continue;  // the next sweep tries again
    write(Write{Write::Op::kPurge, std::move(record), {}});
    ++purged;
  }
  if (purged > 0) spdlog::debug("retention sweep purged {} invocations", purged);
  for (auto& sweeper : sweepers) sweeper();
  // A full batch sweeps again at once, unless nothing in it could go (no busy loop).
  auto next = old.size() == options.sweep_batch && purged > 0 ? 0 : options.sweep_interval_ms;
  sweep_timer = scheduler.schedule_after(next, [this] { sweep(); });
}

void Engine::add_sweeper(UniqueFunction<void()> sweeper) {
  impl_->sweepers.push_back(std::move(sweeper));
}

void Engine::add_purge_guard(PurgeGuard guard) {
  impl_->purge_guards.push_back(std::move(guard));
}

std::size_t Engine::recover() {
  auto unfinished = impl_->store.load_unfinished();
  std::size_t recovered = 0;
  const auto now = impl_->scheduler.now_ms();
  for (auto& u : unfinished) {
    const HandlerEntry* entry = impl_->registry.find(u.record.service, u.record.handler);
    if (!entry) {
      spdlog::error("invocation {} targets {}/{}, which is no longer registered; left as is",
                    u.record.id, u.record.service, u.record.handler);
      continue;
    }
    Invocation& inv = impl_->add(std::move(u.record), *entry);
    inv.journal = std::move(u.journal);
    inv.steps.resize(inv.journal.size());
    // A journal this code cannot read (from a bug, a damaged file, another version) pauses its
    // invocation with the reason, for an operator to inspect and kill; it never stops recovery.
    std::string corrupt;
    for (std::uint32_t i = 0; i < inv.journal.size() && corrupt.empty(); ++i) {
      const JournalEntry& e = inv.journal[i];
      if (e.index != i) {
        corrupt = "journal entry " + std::to_string(i) + " is missing";
        break;
      }
      Step& step = inv.steps[i];
      step.kind = e.kind;
      switch (e.kind) {
        case EntryKind::kCall:
          if (auto child = impl_->store.find_invocation(e.payload);
              child && store::is_finished(child->status)) {
            bool failed = child->status == InvocationStatus::kFailed;
            step.outcome = {failed, failed ? child->error_code : std::uint16_t{0},
                            std::move(child->output)};
            step.done = true;
          }
          break;
        case EntryKind::kSleep: {
          auto wake_at = parse_int64(e.payload);
          if (!wake_at) {
            corrupt = "journal entry " + std::to_string(i) + " (sleep) holds no wake-up time";
          } else if (*wake_at <= now) {
            step.done = true;
            step.outcome.value = "null";
          } else {
            impl_->arm_sleep(inv, i, *wake_at);
          }
          break;
        }
        case EntryKind::kRun:
        case EntryKind::kTransact:
          step.done = true;
          step.outcome = {e.failed, e.error_code, e.payload};
          break;
        case EntryKind::kWait:
        case EntryKind::kCancel:
          step.done = true;
          break;
        case EntryKind::kAwakeable:
        case EntryKind::kEffect:
          break;  // done if a completion below says so
        case EntryKind::kGetState:
        case EntryKind::kSetState:
        case EntryKind::kClearState:
        case EntryKind::kPeekPromise:
        case EntryKind::kCompletePromise:
          step.done = true;
          step.outcome = {e.failed, 0, e.payload};
          break;
        case EntryKind::kGetPromise: {
          ObjectSlot& slot = impl_->workflow_slot(inv.record);
          if (auto it = slot.promises->find(e.name); it != slot.promises->end()) {
            step.done = true;
            step.outcome = step_outcome(it->second);
          } else {
            slot.promise_waiters.emplace(e.name, std::make_pair(inv.record.id, i));
          }
          break;
        }
      }
      if (step.done) step.completed_seq = ++impl_->completion_seq;
    }
    for (const auto& c : u.completions) {
      if (c.index >= inv.steps.size()) continue;
      if (const auto kind = inv.steps[c.index].kind;
          kind != EntryKind::kAwakeable && kind != EntryKind::kEffect)
        continue;
      Step& step = inv.steps[c.index];
      step.done = true;
      step.outcome = step_outcome(c);
      step.completed_seq = ++impl_->completion_seq;
    }
    if (!corrupt.empty()) {
      spdlog::error("invocation {} paused: {}", inv.record.id, corrupt);
      impl_->set_status(inv, InvocationStatus::kPaused, "corrupt journal: " + corrupt);
    }
    const auto& r = inv.record;
    if (!r.idempotency_key.empty()) impl_->idempotent_running[Impl::idempotency_slot(r)] = r.id;
    // Ids sort by arrival: queues rebuild in arrival order. Delayed ones join when due.
    if (inv.record.execute_at_ms <= now) impl_->enqueue(inv);
    if (inv.record.status == InvocationStatus::kRunning) impl_->schedule_start(inv);
    ++recovered;
  }
  // Id order is arrival order for clients' invocations, not for children (a child's id starts
  // with its parent's). At most one exclusive invocation per key had started before the crash:
  // it goes first again, or another would run over the state it has already read.
  for (auto& [slot, object] : impl_->objects) {
    auto& queue = object.queue;
    auto started = std::find_if(queue.begin(), queue.end(), [this](const std::string& id) {
      const Invocation* inv = impl_->find(id);
      return inv && std::any_of(inv->journal.begin(), inv->journal.end(),
                                [](const JournalEntry& e) { return e.kind != EntryKind::kCancel; });
    });
    if (started != queue.end() && started != queue.begin())
      std::rotate(queue.begin(), started, started + 1);
  }
  impl_->sweep_timer = impl_->scheduler.schedule_after(impl_->options.sweep_interval_ms,
                                                       [impl = impl_.get()] { impl->sweep(); });
  return recovered;
}

}  // namespace orderd
