#include "engine/engine_internal.hpp"

// What an operator can do to an invocation (kill, cancel, pause, resume, purge, complete an
// awakeable) and see of it (list, describe).

namespace orderd {

Engine::Control Engine::kill(const std::string& id) {
  Invocation* inv = impl_->find(id);
  if (!inv) return impl_->store.find_invocation(id) ? Control::kWrongState : Control::kNotFound;
  if (inv->completing) return Control::kWrongState;
  // The call tree goes with it: children still running would otherwise run for nobody.
  for (const auto& e : inv->journal)
    if (e.kind == EntryKind::kCall) kill(e.payload);
  auto killed = Error::of(ErrorCode::kKilled, "killed by an operator");
  impl_->complete(*inv, {id, false, killed.status, killed.encode()});
  return Control::kDone;
}

Engine::Control Engine::complete_awakeable(const std::string& awakeable, bool failed,
                                           std::uint16_t code, std::string value,
                                           UniqueFunction<void()> on_durable) {
  std::string invocation_id;
  std::uint32_t index = 0;
  if (!ids::parse_awakeable_id(awakeable, invocation_id, index)) return Control::kNotFound;
  Invocation* inv = impl_->find(invocation_id);
  if (!inv || index >= inv->steps.size() || inv->steps[index].kind != EntryKind::kAwakeable)
    return Control::kNotFound;
  if (inv->steps[index].done || inv->completing) return Control::kWrongState;
  // A rejection's text from outside is a message, never an encoded error it could pose as.
  if (failed) value = Error{error_code_from_status(code), code, {}, std::move(value), {}}.encode();
  Write w{Write::Op::kCompleteStep, {}, {}, {index, failed, code, value}};
  w.invocation.id = invocation_id;
  impl_->write_then(std::move(w), std::move(on_durable));
  // The handler may go on at once: whatever it makes visible is committed after this record.
  impl_->complete_step(invocation_id, index, {failed, code, std::move(value)});
  return Control::kDone;
}

// Cooperative: a cancel entry is journaled where the handler stands; its next step or await
// throws TerminalError(409, "cancelled"), its own catch blocks run compensation, and its running
// children are cancelled the same way. Journaled once: a repeat only waits for the first.
Engine::Control Engine::cancel(const std::string& id, UniqueFunction<void()> on_durable) {
  auto has_cancel = [](const std::vector<JournalEntry>& journal) {
    return std::any_of(journal.begin(), journal.end(),
                       [](const JournalEntry& e) { return e.kind == EntryKind::kCancel; });
  };
  auto answer_when_durable = [&] {
    if (on_durable) impl_->after_durable(std::move(on_durable));
    return Control::kDone;
  };
  Invocation* inv = impl_->find(id);
  if (!inv) {
    auto record = impl_->store.find_invocation(id);
    if (!record) return Control::kNotFound;
    // Finished since a cancel it met: the repeat is answered as the first was.
    if (has_cancel(impl_->store.load_journal(id))) return answer_when_durable();
    return Control::kWrongState;
  }
  if (has_cancel(inv->journal)) return answer_when_durable();  // even while it completes
  if (inv->completing) return Control::kWrongState;
  for (const auto& e : inv->journal)
    if (e.kind == EntryKind::kCall) cancel(e.payload);

  // At the journal's end: a live handler meets it at its next step, a replaying one once it gets
  // there. append() moves the cursor past the entry, which the handler has not seen yet.
  const auto cursor = inv->cursor;
  const auto cancel_index = static_cast<std::uint32_t>(inv->journal.size());
  inv->append(EntryKind::kCancel, "", "");
  inv->cursor = cursor;
  inv->steps.back().done = true;
  Write w{Write::Op::kAppend, {}, inv->journal.back()};
  w.invocation.id = id;
  impl_->write(std::move(w));
  if (on_durable) impl_->after_durable(std::move(on_durable));

  if (inv->record.status == InvocationStatus::kPaused) {
    impl_->set_status(*inv, InvocationStatus::kRunning);
    inv->attempts_before_resume = inv->record.attempts;  // compensation gets a fresh budget
    impl_->schedule_start(*inv);
  } else if (inv->start_timer && !inv->root.valid()) {
    // Backing off before a retry, or a delayed start: meet the cancel now.
    impl_->scheduler.cancel(inv->start_timer);
    inv->start_timer = 0;
    impl_->schedule_start(*inv);
  } else if ((inv->suspended || inv->unloaded) && inv->cursor == cancel_index) {
    // Suspended at the journal's end: it meets the cancel now. One suspended mid-replay meets
    // it when the replay gets there (its awaited children are being cancelled too). An unloaded
    // one was parked at the journal's end, and replays up to the cancel.
    impl_->wake(*inv);
  }
  return Control::kDone;
}

Engine::Control Engine::pause(const std::string& id) {
  Invocation* inv = impl_->find(id);
  if (!inv) return impl_->store.find_invocation(id) ? Control::kWrongState : Control::kNotFound;
  if (inv->completing || inv->record.status != InvocationStatus::kRunning)
    return Control::kWrongState;
  impl_->set_status(*inv, InvocationStatus::kPaused, "paused by an operator");
  return Control::kDone;
}

Engine::Control Engine::resume(const std::string& id) {
  Invocation* inv = impl_->find(id);
  if (!inv) return impl_->store.find_invocation(id) ? Control::kWrongState : Control::kNotFound;
  if (inv->completing || inv->record.status != InvocationStatus::kPaused)
    return Control::kWrongState;
  impl_->set_status(*inv, InvocationStatus::kRunning);
  inv->attempts_before_resume = inv->record.attempts;
  impl_->schedule_start(*inv);
  return Control::kDone;
}

Engine::Control Engine::purge(const std::string& id, Error* refusal) {
  if (impl_->find(id)) return Control::kWrongState;
  auto record = impl_->store.find_invocation(id);
  if (!record) return Control::kNotFound;
  if (!store::is_finished(record->status)) return Control::kWrongState;
  // A child's outcome is part of its unfinished parent's journal.
  if (!record->parent_id.empty() && impl_->find(record->parent_id)) return Control::kWrongState;
  // Before anything is written (drop_workflow_key writes): a refusal leaves all as it was.
  if (auto refused = impl_->purge_refusal(*record)) {
    if (refusal) *refusal = std::move(*refused);
    return Control::kRefused;
  }
  if (!impl_->drop_workflow_key(*record)) return Control::kWrongState;  // its key is in use
  impl_->write(Write{Write::Op::kPurge, std::move(*record), {}});
  return Control::kDone;
}

std::vector<store::InvocationRecord> Engine::list(const store::ListQuery& query) {
  return impl_->store.list_invocations(query);
}

std::optional<InvocationDetails> Engine::describe(const std::string& id) {
  InvocationDetails details;
  if (const Invocation* inv = impl_->find(id)) {
    details.record = inv->record;
    details.journal = inv->journal;
    // Its outcome is not durable yet: nobody may see it before it is (invariant I1).
    if (inv->completing) {
      details.record.status = InvocationStatus::kRunning;
      details.record.output.clear();
      details.record.completed_at_ms = 0;
    }
  } else if (auto record = impl_->store.find_invocation(id)) {
    details.record = std::move(*record);
    details.journal = impl_->store.load_journal(id);
  } else {
    return std::nullopt;
  }
  for (const auto& e : details.journal) {
    if (e.kind != EntryKind::kCall) continue;
    if (const Invocation* child = impl_->find(e.payload)) {
      details.children.push_back(child->record);
      if (child->completing) {  // not durable yet (I1)
        details.children.back().status = InvocationStatus::kRunning;
        details.children.back().output.clear();
      }
    } else if (auto stored = impl_->store.find_invocation(e.payload))
      details.children.push_back(std::move(*stored));
  }
  return details;
}

// The retention sweeper: every sweep_interval_ms, deletes up to sweep_batch finished invocations
// older than their retention. Bounded work per turn, so traffic is never stalled for long; a
// full batch schedules the next sweep at once.

}  // namespace orderd
