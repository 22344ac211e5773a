#pragma once
// The engine's internals, shared by its .cpp files only (engine.cpp: invoking and results;
// invocation.cpp: the journal steps a handler takes; engine_operator.cpp: operator controls and
// inspection; engine_recovery.cpp: recovery and the retention sweep). Nothing outside
// src/engine/ includes this.
#include "engine/engine.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "common/ids.hpp"
#include "common/json_fields.hpp"
#include "common/numbers.hpp"
#include "engine/context.hpp"
#include "engine/registry.hpp"
#include "engine/scheduler.hpp"
#include "engine/worker_pool.hpp"
#include "store/store.hpp"

// Invariants kept by the engine (its .cpp files name them where they keep them):
//  I1. An invocation's outcome is released (to a client, to its parent, to the audit log) only
//      after the batch holding its completion record is durable. Because batches commit in
//      submission order, every journal record the handler wrote before finishing is durable too.
//  I2. A call step's journal record and its child's creation are one atomic write, and the child id
//      is derived from (parent id, step index): a replayed call step can never start a second
//      child.
//  I3. While cursor < journal.size() the handler is replaying: each step it asks for must match the
//      recorded one, and returns the recorded outcome without doing the work again.
//  I4. Handlers never wait for fsync between steps: records that are not yet durable can only be
//      lost together with everything that depends on them (see I1), and are then redone.
//  I5. A client's invocation runs its first step only once its creation is durable, so every side
//      effect is made by an invocation that survives a crash, under an id that will not change:
//      an effect keyed by the invocation id (or a child's id, derived from it) is idempotent
//      across crashes and client retries. A child needs no wait: its id is derived, so a replay
//      recreates the same one.

namespace orderd {

// Private to the engine's own .cpp files.
using store::EntryKind;
using store::InvocationStatus;
using store::JournalEntry;
using store::Write;

// An outside completion (awakeable, promise) as the step outcome a handler awaits.
inline detail::StepOutcome step_outcome(const store::Completion& c) {
  return {c.failed, c.error_code, c.value};
}

struct Step {
  EntryKind kind = EntryKind::kRun;
  bool done = false;
  detail::StepOutcome outcome;
  std::uint64_t completed_seq = 0;  // engine-wide completion order, for live fan-in
  Scheduler::TimerId timer = 0;
};

// One invocation in memory: its record, its journal, and the attempt that is running.
class Invocation final : public detail::Journal {
 public:
  Invocation(Engine::Impl& engine, store::InvocationRecord rec, const HandlerEntry& handler)
      : engine_(engine), record(std::move(rec)), handler(handler) {}
  ~Invocation() override;

  std::uint32_t start_call(std::string_view service, std::string_view object_key,
                           std::string_view handler_name, std::string input_json) override;
  std::uint32_t start_sleep(std::int64_t duration_ms) override;
  std::uint32_t start_awakeable() override;
  const std::string& object_key() const override { return record.object_key; }
  std::optional<std::string> get_state(std::string_view name) override;
  std::uint32_t start_promise(std::string_view name) override;
  std::optional<detail::StepOutcome> peek_promise(std::string_view name) override;
  bool complete_promise(std::string_view name, detail::StepOutcome outcome) override;
  void require_workflow() const;
  void set_state(std::string_view name, std::string json) override;
  void clear_state(std::string_view name) override;
  void put_state(EntryKind kind, std::string_view name, std::string json);
  const detail::StepOutcome* enter_run(std::string_view name, std::uint32_t& index,
                                       bool transact) override;
  void record_run(std::uint32_t index, detail::StepOutcome outcome, bool until_durable,
                  std::vector<store::RowWrite> rows) override;
  std::uint32_t start_effect(std::string_view name, detail::Effect effect,
                             const RunPolicy& policy) override;
  bool is_done(std::uint32_t step) const override { return steps.at(step).done; }
  const detail::StepOutcome& outcome(std::uint32_t step) const override {
    return steps.at(step).outcome;
  }
  void suspend_until_any(std::span<const std::uint32_t> wanted,
                         std::coroutine_handle<> waiter) override;
  std::optional<std::uint32_t> choose_next(std::span<const std::uint32_t> candidates) override;
  bool replaying() const override { return cursor < journal.size(); }
  bool cancel_pending() const override {
    return cursor < journal.size() && journal[cursor].kind == EntryKind::kCancel;
  }
  void throw_if_cancelled() override {
    if (cancel_pending()) {
      ++cursor;
      throw Cancelled();
    }
  }
  const std::string& invocation_id() const override { return record.id; }
  const std::string& principal() const override { return record.principal; }
  const std::string& traceparent() const override { return record.traceparent; }
  std::int64_t created_at_ms() const override { return record.created_at_ms; }
  std::int64_t now_ms() const override;
  std::string next_uuid() override { return rng.next_uuid(); }
  double next_random() override { return rng.next_double(); }

  // The journal entry the handler is at while replaying, checked against what it asks for (I3).
  const JournalEntry* replayed(EntryKind kind, std::string_view name);
  std::uint32_t append(EntryKind kind, std::string name, std::string payload, bool failed = false,
                       std::uint16_t error_code = 0);

  Engine::Impl& engine_;
  store::InvocationRecord record;
  const HandlerEntry& handler;
  std::vector<JournalEntry> journal;
  std::vector<Step> steps;  // by journal index
  std::uint32_t cursor = 0;
  ids::DeterministicRandom rng{0};
  std::unique_ptr<Context> context;
  Task<std::string> root;
  std::coroutine_handle<> suspended;
  std::vector<std::uint32_t> waiting_on;
  // Callers waiting for the outcome, each under its id (Engine::detach drops one).
  std::vector<std::pair<WaiterId, Engine::OutcomeCallback>> waiters;
  Scheduler::TimerId start_timer = 0;  // the next attempt's: after a backoff, or a delayed start
  std::uint32_t attempts_before_resume = 0;  // a resume grants a fresh retry budget
  bool queued = false;                       // in its virtual object's queue (exclusive handlers)
  bool completing = false;
  bool created_durably = true;  // false from a client's invoke until its creation commits (I5)
  bool start_when_durable = false;
  // Parked: suspended on nothing but time or the outside world (a sleep, an awakeable, a
  // promise), so it costs no CPU and does not count against --max-inflight. Unloaded: parked so
  // long that its coroutine frames were dropped; the step it waits for replays it (parking.cpp).
  bool parked = false;
  bool unloaded = false;
  std::int64_t parked_since_ms = 0;
  // Scheduled: a delayed send whose start time has not come. It waits on nothing but its timer,
  // so it counts against --max-scheduled, not against the active bound, until it is due.
  bool scheduled = false;

 private:
  std::string pending_run_name_;
  EntryKind pending_run_kind_ = EntryKind::kRun;
};

// An effect step in progress (Context::run_on_worker, run_async), from its start (its first
// attempt waits for durability: E1, effects.cpp) until its outcome is handed to the store. Kept
// apart from the invocation's attempt: a retry or a pause of the handler does not stop it, and a
// replay that meets the step finds it here.
struct EffectRun {
  std::string invocation_id;
  std::uint32_t index = 0;
  std::string name;
  detail::Effect effect;
  RunPolicy policy;
  std::uint32_t attempt = 0;     // 0: the first attempt waits for durability (E1)
  std::uint64_t generation = 0;  // of the attempt in progress: a stale attempt's end is ignored
  Scheduler::TimerId timer = 0;  // the attempt's timeout, or the backoff before the next one
  Task<void> async_attempt;      // the asynchronous attempt's coroutine
  bool settling = false;         // ended for good; its outcome is on its way to the disk
};

// A virtual object or workflow key in memory: its exclusive invocations in arrival order (the
// front one runs), its state and its promises, loaded on first use. Kept while any invocation under
// the key is in memory (`live`), and dropped after the last one finished: each finish waited for
// its completion to be durable, and batches commit in order, so by then the store has every write
// made under the key.
struct ObjectSlot {
  std::deque<std::string> queue;
  std::optional<std::map<std::string, std::string>> state;
  std::optional<std::map<std::string, store::Completion>> promises;
  // Promise name -> the (invocation, step) awaiting it.
  std::multimap<std::string, std::pair<std::string, std::uint32_t>> promise_waiters;
  std::size_t live = 0;
};

// What the store's thread may still reach after the engine is gone: a batch can commit after
// Engine's destructor ran (a crash in tests, a shutdown), so it goes through this shared box.
struct DurableMailbox {
  std::mutex mutex;
  Scheduler* scheduler = nullptr;  // null once the engine is gone
  int audit_fd = -1;
  ~DurableMailbox() {
    if (audit_fd >= 0) ::close(audit_fd);
  }
};

// The writes of one turn of the event loop, handed to the store as one batch: one queue hand-off
// and one wake-up of the store's thread however many steps were journaled meanwhile.
struct WriteBatch {
  std::vector<Write> writes;
  std::vector<UniqueFunction<void()>> then;  // run on the engine thread once durable
  std::string audit;                         // lines for the audit log, written once durable
};

struct Engine::Impl {
  Impl(Scheduler& s, store::Store& st, const Registry& r, EngineOptions o)
      : scheduler(s), store(st), registry(r), options(std::move(o)) {
    mailbox->scheduler = &scheduler;
    if (!options.audit_log_path.empty()) {
      mailbox->audit_fd =
          ::open(options.audit_log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
      if (mailbox->audit_fd < 0)
        throw std::runtime_error("cannot open audit log " + options.audit_log_path);
    }
  }
  ~Impl() {
    flush();  // what was journaled becomes durable; what it would release is dropped
    *alive = false;
    if (sweep_timer) scheduler.cancel(sweep_timer);
    if (unload_timer) scheduler.cancel(unload_timer);
    {
      std::lock_guard lock(mailbox->mutex);
      mailbox->scheduler = nullptr;
    }
    for (auto& [key, run] : effects)
      if (run->timer) scheduler.cancel(run->timer);
    effects.clear();  // destroys asynchronous attempts; a blocking one's late end posts nothing
    invocations.clear();
  }

  // Runs `fn` on the engine thread, unless the engine is gone by then.
  template <class Fn>
  void post(Fn fn) {
    scheduler.post([alive = alive, fn = std::move(fn)]() mutable {
      if (*alive) fn();
    });
  }

  bool auditing() const { return mailbox->audit_fd >= 0; }

  void write(Write w, std::string audit_line = {}) {
    make_room(1);
    batch.writes.push_back(std::move(w));
    batch.audit += audit_line;
    schedule_flush();
  }

  // Writes that must commit together (a call entry and its child's creation): never split.
  void write_together(Write first, Write second, std::string audit_line) {
    make_room(2);
    batch.writes.push_back(std::move(first));
    batch.writes.push_back(std::move(second));
    batch.audit += audit_line;
    schedule_flush();
  }

  // With a batch bound (tests sweep crash points per step with 1), flush before a batch would
  // exceed it. Only at these boundaries, so groups of writes stay whole.
  void make_room(std::size_t n) {
    const auto limit = options.max_writes_per_batch;
    if (limit > 0 && !batch.writes.empty() && batch.writes.size() + n > limit) flush();
  }

  // `then` runs on the engine thread once `w`, and everything written before it, is durable.
  void write_then(Write w, UniqueFunction<void()> then) {
    make_room(1);
    batch.writes.push_back(std::move(w));
    after_durable(std::move(then));
  }

  // `then` runs once everything written so far is durable (batches commit in order).
  void after_durable(UniqueFunction<void()> then) {
    batch.then.push_back(std::move(then));
    schedule_flush();
  }

  void schedule_flush() {
    if (flush_posted) return;
    flush_posted = true;
    post([this] { flush(); });
  }

  void flush() {
    flush_posted = false;
    if (batch.writes.empty() && batch.then.empty()) return;
    auto done = std::make_shared<WriteBatch>(std::move(batch));
    batch = WriteBatch{};
    std::vector<Write> writes = std::move(done->writes);
    auto on_durable = [mailbox = mailbox, alive = alive, done]() mutable {
      std::lock_guard lock(mailbox->mutex);
      if (!done->audit.empty() && mailbox->audit_fd >= 0) {
        [[maybe_unused]] auto n =
            ::write(mailbox->audit_fd, done->audit.data(), done->audit.size());
      }
      if (done->then.empty() || !mailbox->scheduler) return;
      // Moved, so the continuations (which hold HTTP responders) die on the engine thread.
      mailbox->scheduler->post([alive, done = std::move(done)] {
        if (!*alive) return;
        for (auto& then : done->then) then();
      });
    };
    store.submit(std::move(writes), std::move(on_durable));
  }

  std::string audit_line(const Invocation& inv, const JournalEntry& e) const {
    if (!auditing()) return {};
    return "step " + inv.record.id + " " + std::to_string(e.index) + " " +
           store::to_string(e.kind) + " " + e.name + "\n";
  }

  // The invocation under (target, key as recorded: already scoped by its caller).
  std::optional<std::string> find_idempotent(const std::string& target, const std::string& key) {
    auto it = idempotent_running.find(target + "\n" + key);
    if (it != idempotent_running.end()) return it->second;
    return store.find_idempotent(target, key);
  }

  static std::string idempotency_slot(const store::InvocationRecord& r) {
    return store::idempotency_target(r.service, r.object_key, r.handler) + "\n" + r.idempotency_key;
  }

  // The outcome a finished record holds, as callers receive it.
  InvocationOutcome outcome_of(store::InvocationRecord record) const {
    bool ok = record.status == InvocationStatus::kSucceeded;
    auto expires = expires_at(record);
    return decoded({record.id, ok, ok ? std::uint16_t{200} : record.error_code,
                    std::move(record.output), expires});
  }

  // A failure's body as stored is its encoded Error (common/error.hpp); callers get the message
  // as body and the typed error beside it.
  static InvocationOutcome decoded(InvocationOutcome outcome) {
    if (outcome.ok) return outcome;
    outcome.error = Error::decode(outcome.code, outcome.body);
    outcome.body = outcome.error.message;
    return outcome;
  }

  std::int64_t expires_at(const store::InvocationRecord& r) const {
    return r.idempotency_key.empty() ? 0 : r.completed_at_ms + options.idempotency_retention_ms;
  }

  // Starts the first attempt now, or at the record's execute_at_ms. An exclusive invocation
  // joins its object's queue only when due: a delayed send does not hold the key meanwhile.
  void schedule_start(Invocation& inv) {
    if (inv.start_timer) scheduler.cancel(inv.start_timer);
    inv.start_timer = 0;
    unschedule(inv);
    std::string id = inv.record.id;
    auto start = [this, id] {
      if (Invocation* due = find(id)) unschedule(*due);
      if (Invocation* due = find(id); due && !due->queued) enqueue(*due);
      if (auto* i = startable(id)) start_attempt(*i);
    };
    // A cancelled invocation does not wait for its delay: it starts to meet the cancel.
    const bool cancelled = !inv.journal.empty() && inv.journal.back().kind == EntryKind::kCancel;
    if (inv.record.execute_at_ms > scheduler.now_ms() && !cancelled) {
      inv.start_timer = scheduler.schedule_at(inv.record.execute_at_ms, std::move(start));
      // Not due yet, and never started: it only waits for its time.
      if (inv.journal.empty() && inv.record.attempts == 0) {
        inv.scheduled = true;
        ++scheduled_count;
        count_up(scheduled_by_principal, inv.record.principal);
      }
    } else {
      post(std::move(start));
    }
  }

  void unschedule(Invocation& inv) {
    if (!std::exchange(inv.scheduled, false)) return;
    --scheduled_count;
    count_down(scheduled_by_principal, inv.record.principal);
  }

  // An invocation a timer or a posted task may start: still running, and with no attempt going.
  // (A kill, pause or cancel may have come between the scheduling and the start.)
  Invocation* startable(const std::string& id) {
    Invocation* inv = find(id);
    if (!inv || inv->completing || inv->record.status != InvocationStatus::kRunning ||
        inv->root.valid() || !may_run(*inv))
      return nullptr;
    return inv;
  }

  Invocation* find(const std::string& id) {
    auto it = invocations.find(id);
    return it == invocations.end() ? nullptr : it->second.get();
  }

  Invocation& add(store::InvocationRecord record, const HandlerEntry& handler) {
    auto inv = std::make_unique<Invocation>(*this, std::move(record), handler);
    auto& ref = *inv;
    invocations[ref.record.id] = std::move(inv);
    if (handler.keyed()) ++objects[object_slot(ref.record)].live;
    return ref;
  }

  void start_attempt(Invocation& inv) {
    inv.start_timer = 0;
    if (!inv.created_durably) {
      inv.start_when_durable = true;
      return;
    }
    ++inv.record.attempts;
    if (inv.record.attempts > 1) {
      Write w{Write::Op::kAttempt, {}, {}};
      w.invocation.id = inv.record.id;
      w.invocation.attempts = inv.record.attempts;
      write(std::move(w));
    }
    run_from_the_top(inv);
  }

  // Runs the handler from its first line: it replays its journal in memory (I3), then goes on.
  // An attempt, or the wake of an unloaded invocation (parking.cpp).
  void run_from_the_top(Invocation& inv) {
    inv.cursor = 0;
    inv.rng = ids::DeterministicRandom(ids::seed_from(inv.record.id));
    inv.context = std::make_unique<Context>(inv);
    inv.root = inv.handler.invoke(*inv.context, inv.record.input);
    inv.root.handle().resume();
    after_resume(inv);
  }

  // Called whenever the handler has run and stopped: suspended on a step, or finished.
  void after_resume(Invocation& inv) {
    if (!inv.root.done()) return;
    InvocationOutcome outcome{inv.record.id, true, 200, {}};
    try {
      outcome.body = inv.root.take_result();
    } catch (const TerminalError& e) {
      outcome = {inv.record.id, false, e.code(), e.error().encode()};
    } catch (const json::InvalidField& e) {
      auto invalid = Error::of(ErrorCode::kInvalidArgument, e.what(), "invalid_field",
                               json::dump(boost::json::object{{"field", e.field()}}));
      outcome = {inv.record.id, false, invalid.status, invalid.encode()};
    } catch (const std::exception& e) {
      return retry_later(inv, e.what());
    } catch (...) {
      return retry_later(inv, "unknown error");
    }
    complete(inv, std::move(outcome));
  }

  void retry_later(Invocation& inv, const std::string& error) {
    const auto& policy = options.retry;
    const std::uint32_t attempts = inv.record.attempts - inv.attempts_before_resume;
    inv.root = {};
    inv.context.reset();
    if (attempts >= policy.max_attempts) {
      // Paused, not failed (as Restate does): the cause may be fixed outside, then resumed.
      std::string reason =
          "retries exhausted after " + std::to_string(attempts) + " attempts: " + error;
      spdlog::warn("invocation {} {}/{} paused: {}", inv.record.id, inv.record.service,
                   inv.record.handler, reason);
      return set_status(inv, InvocationStatus::kPaused, std::move(reason));
    }
    auto delay = policy.delay_before(attempts + 1);
    spdlog::debug("invocation {} attempt {} failed ({}), retrying in {} ms", inv.record.id,
                  inv.record.attempts, error, delay);
    std::string id = inv.record.id;
    inv.start_timer = scheduler.schedule_after(delay, [this, id] {
      if (auto* again = startable(id)) start_attempt(*again);
    });
  }

  // Running <-> paused. Pausing drops the attempt in progress; what it journaled stays, and a
  // resume replays it.
  void set_status(Invocation& inv, InvocationStatus status, std::string reason = {}) {
    stop_attempt(inv);
    inv.record.status = status;
    inv.record.output = reason;
    Write w{Write::Op::kStatus, {}, {}};
    w.invocation.id = inv.record.id;
    w.invocation.status = status;
    w.invocation.output = std::move(reason);
    write(std::move(w));
  }

  void stop_attempt(Invocation& inv) {
    unpark(inv);
    unschedule(inv);
    if (inv.start_timer) scheduler.cancel(inv.start_timer);
    inv.start_timer = 0;
    inv.suspended = {};
    inv.waiting_on.clear();
    inv.root = {};  // destroys the suspended coroutine frames
    inv.context.reset();
  }

  void complete(Invocation& inv, InvocationOutcome outcome) {
    inv.completing = true;
    stop_attempt(inv);
    drop_effects(inv.record.id);
    auto& r = inv.record;
    r.status = outcome.ok ? InvocationStatus::kSucceeded : InvocationStatus::kFailed;
    r.output = outcome.body;
    r.error_code = outcome.ok ? 0 : outcome.code;
    r.completed_at_ms = scheduler.now_ms();
    // Only what the completion writes: the input, the largest field, stays behind.
    Write w{Write::Op::kComplete, {}, {}};
    w.invocation.id = r.id;
    w.invocation.status = r.status;
    w.invocation.output = r.output;
    w.invocation.error_code = r.error_code;
    w.invocation.completed_at_ms = r.completed_at_ms;
    w.invocation.attempts = r.attempts;
    auto release = [this, outcome = std::move(outcome)]() mutable { finish(std::move(outcome)); };
    write_then(std::move(w), std::move(release));
  }

  // The outcome is durable (I1): hand it to everyone waiting and forget the invocation.
  void finish(InvocationOutcome outcome) {
    auto it = invocations.find(outcome.invocation_id);
    if (it == invocations.end()) return;
    std::unique_ptr<Invocation> inv = std::move(it->second);
    invocations.erase(it);
    dequeue(*inv);
    release_slot(*inv);
    if (!inv->record.idempotency_key.empty()) {
      idempotent_running.erase(idempotency_slot(inv->record));
      outcome.idempotency_expires_at_ms = expires_at(inv->record);
    }
    if (auditing()) {
      std::string line = "done " + outcome.invocation_id + "\n";
      [[maybe_unused]] auto n = ::write(mailbox->audit_fd, line.data(), line.size());
    }
    if (!inv->record.parent_id.empty()) {
      detail::StepOutcome step{!outcome.ok, outcome.ok ? std::uint16_t{0} : outcome.code,
                               outcome.body};  // as stored: a failure keeps its typed error
      complete_step(inv->record.parent_id, inv->record.parent_index, std::move(step));
    }
    outcome = decoded(std::move(outcome));
    for (auto& [waiter_id, waiter] : inv->waiters) {
      InvocationOutcome copy = outcome;
      waiter(std::move(copy));
    }
  }

  void complete_step(const std::string& invocation_id, std::uint32_t index,
                     detail::StepOutcome outcome) {
    Invocation* inv = find(invocation_id);
    if (!inv || index >= inv->steps.size()) return;  // the caller already finished without it
    Step& step = inv->steps[index];
    if (step.done) return;
    step.done = true;
    step.outcome = std::move(outcome);
    step.completed_seq = ++completion_seq;
    step.timer = 0;
    if ((inv->suspended || inv->unloaded) &&
        std::find(inv->waiting_on.begin(), inv->waiting_on.end(), index) != inv->waiting_on.end())
      wake(*inv);
  }

  void start_child(store::InvocationRecord child) {
    const HandlerEntry* handler = registry.find(child.service, child.handler);
    Invocation& inv = add(std::move(child), *handler);
    enqueue(inv);  // an object's exclusive handler waits for its turn (startable checks)
    std::string id = inv.record.id;
    // Posted, not run inline: the parent is in the middle of its own step.
    post([this, id] {
      if (auto* c = startable(id)) start_attempt(*c);
    });
  }

  // A recovered sleep wakes at its journaled wall-clock time; a live one after its exact duration
  // (the journaled time is in whole milliseconds and could fire a fraction early).
  void arm_sleep(Invocation& inv, std::uint32_t index, std::int64_t wake_at_ms,
                 std::int64_t live_duration_ms = -1) {
    std::string id = inv.record.id;
    auto wake = [this, id, index] { complete_step(id, index, {false, 0, "null"}); };
    inv.steps[index].timer = live_duration_ms >= 0
                                 ? scheduler.schedule_after(live_duration_ms, std::move(wake))
                                 : scheduler.schedule_at(wake_at_ms, std::move(wake));
  }

  Scheduler& scheduler;
  store::Store& store;
  const Registry& registry;
  EngineOptions options;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  std::unordered_map<std::string, std::unique_ptr<Invocation>> invocations;
  std::uint64_t completion_seq = 0;
  std::shared_ptr<DurableMailbox> mailbox = std::make_shared<DurableMailbox>();
  // Idempotency slot ("Service/handler\nkey") -> the unfinished invocation started under it.
  std::unordered_map<std::string, std::string> idempotent_running;
  Scheduler::TimerId sweep_timer = 0;
  std::vector<UniqueFunction<void()>> sweepers;  // Engine::add_sweeper, run by sweep()
  std::vector<Engine::PurgeGuard> purge_guards;  // Engine::add_purge_guard
  // The first guard's refusal to forget `r`, if any guard refuses.
  std::optional<Error> purge_refusal(const store::InvocationRecord& r) const {
    for (const auto& guard : purge_guards)
      if (auto refused = guard(r)) return refused;
    return std::nullopt;
  }
  std::unordered_map<std::string, ObjectSlot> objects;  // "Service\nkey"

  void sweep();

  // Delayed sends not yet due (Invocation::scheduled), and the last waiter id handed out.
  std::size_t scheduled_count = 0;
  WaiterId last_waiter = 0;

  // Q1. The parked and the scheduled invocations per principal (the record's, which children
  //     inherit; "" for anonymous ones), for the front door's quotas: changed exactly where
  //     parked_count and scheduled_count are (park_if_idle, unpark, schedule_start, unschedule),
  //     so each map's values sum to its count; an entry is erased when it reaches zero, so the
  //     maps hold only principals with live parked or scheduled work. Recovery needs nothing
  //     of its own: it re-schedules and replays through the same functions.
  using PrincipalCounts = std::unordered_map<std::string, std::size_t>;
  PrincipalCounts parked_by_principal;
  PrincipalCounts scheduled_by_principal;
  static void count_up(PrincipalCounts& counts, const std::string& principal) {
    ++counts[principal];
  }
  static void count_down(PrincipalCounts& counts, const std::string& principal) {
    auto it = counts.find(principal);
    if (it != counts.end() && --it->second == 0) counts.erase(it);
  }
  static std::size_t count_of(const PrincipalCounts& counts, const std::string& principal) {
    auto it = counts.find(principal);
    return it == counts.end() ? 0 : it->second;
  }

  // Parking (parking.cpp).
  std::size_t parked_count = 0;
  std::size_t unloaded_count = 0;
  Scheduler::TimerId unload_timer = 0;
  void park_if_idle(Invocation& inv);
  void unpark(Invocation& inv);
  void wake(Invocation& inv);  // a step it waits for is done (or a cancel came)
  void unload_sweep();

  // Effects (effects.cpp).
  using EffectKey = std::pair<std::string, std::uint32_t>;  // (invocation id, step index)
  std::map<EffectKey, std::unique_ptr<EffectRun>> effects;
  std::uint64_t effect_generation = 0;
  std::unique_ptr<WorkerPool> own_workers;
  void launch_effect(EffectRun& run);
  void launch_when_durable(const EffectKey& key);  // E1 (effects.cpp)
  std::vector<store::RowWrite> record_effect(EffectRun& run, detail::StepOutcome& outcome);
  void effect_ended(const EffectKey& key, std::uint64_t generation, detail::EffectResult result,
                    bool timed_out);
  void settle_effect(const EffectKey& key, detail::StepOutcome outcome);
  void drop_effects(const std::string& invocation_id);
  WorkerPool& workers();
  // A function that runs its argument on the engine thread. It may be called from any thread,
  // also after the engine is gone (then it does nothing): it holds no pointer to the engine.
  std::function<void(std::function<void()>)> poster() const {
    return [mailbox = mailbox, alive = alive](std::function<void()> fn) {
      std::lock_guard lock(mailbox->mutex);
      if (!mailbox->scheduler) return;
      mailbox->scheduler->post([alive, fn = std::move(fn)] {
        if (*alive) fn();
      });
    };
  }
  // Domain rows may only go to tables a domain registered.
  void check_tables(const std::vector<store::RowWrite>& rows) const {
    for (const auto& row : rows)
      if (!registry.has_table(row.table))
        throw TerminalError(ErrorCode::kInternal,
                            "no domain table '" + row.table + "' is registered");
  }

  static std::string object_slot(const store::InvocationRecord& r) {
    return r.service + "\n" + r.object_key;
  }
  // Exclusive handlers and a workflow's run queue per key; only the front one runs.
  bool exclusive(const Invocation& inv) const { return inv.handler.writes_state(); }
  // The key's state as its writers left it: loaded when first needed, then kept current by them.
  std::map<std::string, std::string>& object_state(const store::InvocationRecord& r) {
    auto& slot = objects[object_slot(r)];
    if (!slot.state) slot.state = store.load_state(r.service, r.object_key);
    return *slot.state;
  }
  ObjectSlot& workflow_slot(const store::InvocationRecord& r) {
    auto& slot = objects[object_slot(r)];
    if (!slot.promises) slot.promises = store.load_promises(r.service, r.object_key);
    return slot;
  }
  void release_slot(const Invocation& inv) {
    if (!inv.handler.keyed()) return;
    auto it = objects.find(object_slot(inv.record));
    if (it != objects.end() && --it->second.live == 0) objects.erase(it);
  }
  // A promise was completed: every step awaiting it completes, each in a turn of its own (the
  // completing handler is in the middle of its step).
  void wake_promise_waiters(ObjectSlot& slot, const std::string& name, const store::Completion& c) {
    auto [first, last] = slot.promise_waiters.equal_range(name);
    for (auto it = first; it != last; ++it) {
      const std::string id = it->second.first;
      const std::uint32_t index = it->second.second;
      detail::StepOutcome outcome = step_outcome(c);
      post([this, id, index, outcome]() mutable { complete_step(id, index, std::move(outcome)); });
    }
    slot.promise_waiters.erase(first, last);
  }
  // A workflow run's key is forgotten with it, so a run after its retention starts afresh.
  // Returns false, dropping nothing, while invocations under the key are in memory (after a
  // restart, every unfinished one is): their replays read its promises. Purging the run must
  // then wait too, or the key's rows would outlive it.
  bool drop_workflow_key(const store::InvocationRecord& r) {
    const HandlerEntry* h = registry.find(r.service, r.handler);
    if (!h || h->kind != HandlerEntry::Kind::kWorkflowRun) return true;
    // Not when a newer run took the key over after this one's retention ran out.
    if (auto it = idempotent_running.find(idempotency_slot(r));
        it != idempotent_running.end() && it->second != r.id)
      return true;
    auto target = store::idempotency_target(r.service, r.object_key, r.handler);
    if (auto owner = store.find_idempotent(target, r.idempotency_key); owner && *owner != r.id)
      return true;
    if (objects.count(object_slot(r))) return false;
    forget_key(r.service, r.object_key);
    return true;
  }
  void forget_key(const std::string& service, const std::string& key) {
    Write w{Write::Op::kDropKey, {}, {}};
    w.invocation.service = service;
    w.invocation.object_key = key;
    write(std::move(w));
    if (auto it = objects.find(service + "\n" + key); it != objects.end()) {
      it->second.state.emplace();  // known empty once the drop commits; the store lags behind
      it->second.promises.emplace();
    }
  }
  // An exclusive invocation joins its object's queue; only the front one may run.
  void enqueue(Invocation& inv) {
    if (!exclusive(inv) || inv.queued) return;
    objects[object_slot(inv.record)].queue.push_back(inv.record.id);
    inv.queued = true;
  }
  bool may_run(const Invocation& inv) {
    if (!exclusive(inv)) return true;
    auto it = objects.find(object_slot(inv.record));
    return it != objects.end() && !it->second.queue.empty() &&
           it->second.queue.front() == inv.record.id;
  }
  // The invocation left its object: the next one in line starts, or the object is dropped.
  void dequeue(const Invocation& inv) {
    if (!exclusive(inv)) return;
    auto it = objects.find(object_slot(inv.record));
    if (it == objects.end()) return;
    auto& queue = it->second.queue;
    const bool was_front = !queue.empty() && queue.front() == inv.record.id;
    queue.erase(std::remove(queue.begin(), queue.end(), inv.record.id), queue.end());
    if (!queue.empty() && was_front) {
      if (Invocation* next = find(queue.front())) schedule_start(*next);
    }
  }
  WriteBatch batch;
  bool flush_posted = false;
};

}  // namespace orderd
