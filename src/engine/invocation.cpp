#include "engine/engine_internal.hpp"

// The journal steps a handler takes: each either replays its recorded entry or executes and
// journals it (invariant I3).

namespace orderd {

namespace {

std::string describe(EntryKind kind, std::string_view name) {
  std::string s = store::to_string(kind);
  if (!name.empty()) {
    s += " '";
    s.append(name);
    s += "'";
  }
  return s;
}

}  // namespace

Invocation::~Invocation() {
  if (start_timer) engine_.scheduler.cancel(start_timer);
  for (auto& step : steps)
    if (step.timer) engine_.scheduler.cancel(step.timer);
  root = {};  // destroys the suspended coroutine frames before the context they refer to
}

std::int64_t Invocation::now_ms() const {
  return engine_.scheduler.now_ms();
}

const JournalEntry* Invocation::replayed(EntryKind kind, std::string_view name) {
  throw_if_cancelled();
  if (!replaying()) return nullptr;
  const JournalEntry& e = journal[cursor];
  if (e.kind != kind || e.name != name) {
    throw JournalMismatch("journal mismatch at step " + std::to_string(cursor) + ": recorded " +
                          describe(e.kind, e.name) + ", handler attempted " + describe(kind, name));
  }
  ++cursor;
  return &e;
}

std::uint32_t Invocation::append(EntryKind kind, std::string name, std::string payload, bool failed,
                                 std::uint16_t error_code) {
  JournalEntry e;
  e.index = static_cast<std::uint32_t>(journal.size());
  e.kind = kind;
  e.name = std::move(name);
  e.payload = std::move(payload);
  e.failed = failed;
  e.error_code = error_code;
  e.recorded_at_ms = now_ms();
  journal.push_back(std::move(e));
  steps.push_back(Step{kind});
  cursor = static_cast<std::uint32_t>(journal.size());
  return journal.back().index;
}

std::uint32_t Invocation::start_call(std::string_view service, std::string_view object_key,
                                     std::string_view handler_name, std::string input_json) {
  // The key is part of the step's name: a replay that computes another key is a mismatch.
  std::string name = store::idempotency_target(std::string(service), std::string(object_key),
                                               std::string(handler_name));
  if (auto* e = replayed(EntryKind::kCall, name)) return e->index;
  const HandlerEntry* target = engine_.registry.find(service, handler_name);
  if (!target) throw TerminalError(ErrorCode::kNotFound, "no handler " + name);
  if (target->keyed() && object_key.empty())
    throw TerminalError(ErrorCode::kInvalidArgument, name + " needs a key");
  if (!target->keyed() && !object_key.empty())
    throw TerminalError(ErrorCode::kInvalidArgument, name + " is not keyed: call it without a key");
  if (target->kind == HandlerEntry::Kind::kWorkflowRun) {
    // A run executes once per workflow id, which a call step cannot promise to respect.
    throw TerminalError(ErrorCode::kInvalidArgument,
                        name + " starts a workflow: start it from the ingress");
  }

  std::uint32_t index = static_cast<std::uint32_t>(journal.size());
  store::InvocationRecord child;
  child.id = ids::child_invocation_id(record.id, index);
  child.service = std::string(service);
  child.handler = std::string(handler_name);
  child.input = std::move(input_json);
  child.object_key = std::string(object_key);
  child.parent_id = record.id;
  child.parent_index = index;
  // A call made on the caller's behalf, in the caller's trace. Read from the durable record, so
  // a replay that recreates the call gives the child the same values.
  child.principal = record.principal;
  child.traceparent = record.traceparent;
  child.created_at_ms = now_ms();
  append(EntryKind::kCall, std::move(name), child.id);

  // The parent's call record and the child's creation commit together (I2).
  Write append_entry{Write::Op::kAppend, {}, journal.back()};
  append_entry.invocation.id = record.id;
  engine_.write_together(Write{Write::Op::kCreate, child, {}}, std::move(append_entry),
                         engine_.audit_line(*this, journal.back()));
  engine_.start_child(std::move(child));
  return index;
}

std::uint32_t Invocation::start_sleep(std::int64_t duration_ms) {
  if (auto* e = replayed(EntryKind::kSleep, "")) return e->index;
  duration_ms = std::max<std::int64_t>(0, duration_ms);
  std::int64_t wake_at = now_ms() + duration_ms + 1;  // +1: never wake early after a recovery
  std::uint32_t index = append(EntryKind::kSleep, "", std::to_string(wake_at));
  Write w{Write::Op::kAppend, {}, journal.back()};
  w.invocation.id = record.id;
  engine_.write(std::move(w), engine_.audit_line(*this, journal.back()));
  engine_.arm_sleep(*this, index, wake_at, duration_ms);
  return index;
}

std::optional<std::string> Invocation::get_state(std::string_view name) {
  if (record.object_key.empty())
    throw TerminalError(ErrorCode::kInvalidArgument, "state needs a virtual-object key");
  if (auto* e = replayed(EntryKind::kGetState, name)) {
    if (e->failed) return std::nullopt;
    return e->payload;
  }
  const auto& state = engine_.object_state(record);
  auto it = state.find(std::string(name));
  const bool absent = it == state.end();
  append(EntryKind::kGetState, std::string(name), absent ? "" : it->second, absent);
  steps.back().done = true;
  Write w{Write::Op::kAppend, {}, journal.back()};
  w.invocation.id = record.id;
  engine_.write(std::move(w));
  if (absent) return std::nullopt;
  return journal.back().payload;
}

void Invocation::set_state(std::string_view name, std::string json) {
  put_state(EntryKind::kSetState, name, std::move(json));
}

void Invocation::clear_state(std::string_view name) {
  put_state(EntryKind::kClearState, name, "");
}

// The journal entry and the state change commit in one batch; the cache changes at once, which
// is safe because only this invocation may change this object until it finishes.
void Invocation::put_state(EntryKind kind, std::string_view name, std::string json) {
  if (record.object_key.empty())
    throw TerminalError(ErrorCode::kInvalidArgument, "state needs a virtual-object key");
  if (!handler.writes_state()) {
    throw TerminalError(ErrorCode::kInvalidArgument,
                        "handler " + record.service + "/" + record.handler +
                            " is a shared handler: it may read state, not change it");
  }
  if (replayed(kind, name)) return;
  append(kind, std::string(name), json);
  steps.back().done = true;
  Write entry{Write::Op::kAppend, {}, journal.back()};
  entry.invocation.id = record.id;
  Write change{Write::Op::kPutState, {}, {}};
  change.invocation.service = record.service;
  change.invocation.object_key = record.object_key;
  change.entry.name = std::string(name);
  change.entry.payload = json;
  change.entry.failed = kind == EntryKind::kClearState;
  auto& state = engine_.object_state(record);
  if (kind == EntryKind::kClearState)
    state.erase(std::string(name));
  else
    state[std::string(name)] = std::move(json);
  engine_.write_together(std::move(entry), std::move(change),
                         engine_.audit_line(*this, journal.back()));
}

std::uint32_t Invocation::start_awakeable() {
  if (auto* e = replayed(EntryKind::kAwakeable, "")) return e->index;
  std::uint32_t index = append(EntryKind::kAwakeable, "", "");
  Write w{Write::Op::kAppend, {}, journal.back()};
  w.invocation.id = record.id;
  engine_.write(std::move(w), engine_.audit_line(*this, journal.back()));
  return index;
}

void Invocation::require_workflow() const {
  if (!handler.workflow()) {
    throw TerminalError(ErrorCode::kInvalidArgument, "durable promises belong to workflows; " +
                                                         record.service + "/" + record.handler +
                                                         " is not a workflow handler");
  }
}

// Done at once when the promise is already completed; otherwise the step waits in the workflow's
// slot for the completion. Recovery re-derives both from the store's promises table, whose rows
// never change once written.
std::uint32_t Invocation::start_promise(std::string_view name) {
  require_workflow();
  if (auto* e = replayed(EntryKind::kGetPromise, name)) return e->index;
  ObjectSlot& slot = engine_.workflow_slot(record);
  std::uint32_t index = append(EntryKind::kGetPromise, std::string(name), "");
  Write w{Write::Op::kAppend, {}, journal.back()};
  w.invocation.id = record.id;
  engine_.write(std::move(w), engine_.audit_line(*this, journal.back()));
  if (auto it = slot.promises->find(std::string(name)); it != slot.promises->end()) {
    Step& step = steps.back();
    step.done = true;
    step.outcome = step_outcome(it->second);
    step.completed_seq = ++engine_.completion_seq;
  } else {
    slot.promise_waiters.emplace(std::string(name), std::make_pair(record.id, index));
  }
  return index;
}

std::optional<detail::StepOutcome> Invocation::peek_promise(std::string_view name) {
  require_workflow();
  if (auto* e = replayed(EntryKind::kPeekPromise, name)) {
    if (e->failed && e->error_code == 0) return std::nullopt;
    return detail::StepOutcome{e->failed, e->error_code, e->payload};
  }
  ObjectSlot& slot = engine_.workflow_slot(record);
  auto it = slot.promises->find(std::string(name));
  if (it == slot.promises->end()) {
    append(EntryKind::kPeekPromise, std::string(name), "", true, 0);
  } else {
    append(EntryKind::kPeekPromise, std::string(name), it->second.value, it->second.failed,
           it->second.error_code);
  }
  steps.back().done = true;
  Write w{Write::Op::kAppend, {}, journal.back()};
  w.invocation.id = record.id;
  engine_.write(std::move(w));
  if (it == slot.promises->end()) return std::nullopt;
  return step_outcome(it->second);
}

// The journal entry and the promise's row commit in one batch. Waiters see the value at once:
// whatever they make visible commits after this batch.
bool Invocation::complete_promise(std::string_view name, detail::StepOutcome outcome) {
  require_workflow();
  if (auto* e = replayed(EntryKind::kCompletePromise, name)) return !e->failed;
  ObjectSlot& slot = engine_.workflow_slot(record);
  const bool lost = slot.promises->count(std::string(name)) > 0;
  // A rejection always carries a code: error_code 0 in the journal means "resolved".
  if (!outcome.failed)
    outcome.error_code = 0;
  else if (outcome.error_code == 0)
    outcome.error_code = status_code(ErrorCode::kInternal);
  append(EntryKind::kCompletePromise, std::string(name), outcome.value, lost, outcome.error_code);
  steps.back().done = true;
  Write entry{Write::Op::kAppend, {}, journal.back()};
  entry.invocation.id = record.id;
  if (lost) {
    engine_.write(std::move(entry), engine_.audit_line(*this, journal.back()));
    return false;
  }
  store::Completion value{0, outcome.failed, outcome.error_code, std::move(outcome.value)};
  Write put{Write::Op::kPutPromise, {}, {}, value};
  put.invocation.service = record.service;
  put.invocation.object_key = record.object_key;
  put.entry.name = std::string(name);
  engine_.write_together(std::move(entry), std::move(put),
                         engine_.audit_line(*this, journal.back()));
  auto& stored = (*slot.promises)[std::string(name)] = std::move(value);
  engine_.wake_promise_waiters(slot, std::string(name), stored);
  return true;
}

const detail::StepOutcome* Invocation::enter_run(std::string_view name, std::uint32_t& index,
                                                 bool transact) {
  const EntryKind kind = transact ? EntryKind::kTransact : EntryKind::kRun;
  if (auto* e = replayed(kind, name)) {
    index = e->index;
    return &steps[index].outcome;
  }
  // The entry is appended by record_run once the side effect has produced its result; a run cannot
  // await, so no other step can take this index meanwhile.
  index = static_cast<std::uint32_t>(journal.size());
  pending_run_name_ = std::string(name);
  pending_run_kind_ = kind;
  return nullptr;
}

void Invocation::record_run(std::uint32_t index, detail::StepOutcome outcome, bool until_durable,
                            std::vector<store::RowWrite> rows) {
  if (index != journal.size()) throw std::logic_error("run step recorded out of order");
  engine_.check_tables(rows);
  append(pending_run_kind_, std::move(pending_run_name_), outcome.value, outcome.failed,
         outcome.error_code);
  Write w{Write::Op::kAppend, {}, journal.back()};
  w.invocation.id = record.id;
  if (rows.empty()) {
    engine_.write(std::move(w), engine_.audit_line(*this, journal.back()));
  } else {
    // The step's record and its domain rows commit in one transaction.
    Write change{Write::Op::kRows, {}, {}, {}, std::move(rows)};
    engine_.write_together(std::move(w), std::move(change),
                           engine_.audit_line(*this, journal.back()));
  }
  if (until_durable) {
    // Done once the record is durable: whoever awaits it resumes then (complete_step).
    auto durable = [engine = &engine_, id = record.id, index, outcome]() mutable {
      engine->complete_step(id, index, std::move(outcome));
    };
    engine_.after_durable(std::move(durable));
    return;
  }
  Step& step = steps.back();
  step.done = true;
  step.outcome = std::move(outcome);
  step.completed_seq = ++engine_.completion_seq;
}

std::optional<std::uint32_t> Invocation::choose_next(std::span<const std::uint32_t> candidates) {
  throw_if_cancelled();
  if (replaying()) {
    const JournalEntry& e = journal[cursor];
    if (e.kind == EntryKind::kWait) {
      auto recorded = parse_int64(e.payload);
      auto step = static_cast<std::uint32_t>(recorded.value_or(-1));
      if (!recorded || std::find(candidates.begin(), candidates.end(), step) == candidates.end()) {
        throw JournalMismatch("journal mismatch at step " + std::to_string(cursor) +
                              ": recorded wait yielding step " + e.payload +
                              ", which the handler is not waiting for");
      }
      ++cursor;
      return step;
    }
    replayed(EntryKind::kWait, "");  // throws the mismatch
  }
  const Step* best = nullptr;
  std::uint32_t chosen = 0;
  for (auto c : candidates) {
    const Step& s = steps.at(c);
    if (s.done && (!best || s.completed_seq < best->completed_seq)) {
      best = &s;
      chosen = c;
    }
  }
  if (!best) return std::nullopt;
  append(EntryKind::kWait, "", std::to_string(chosen));
  steps.back().done = true;
  Write w{Write::Op::kAppend, {}, journal.back()};
  w.invocation.id = record.id;
  engine_.write(std::move(w));
  return chosen;
}

}  // namespace orderd
