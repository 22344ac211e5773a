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
#include "store/store.hpp"

// Invariants kept in this file:
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
namespace {

using store::EntryKind;
using store::InvocationStatus;
using store::JournalEntry;
using store::Write;

struct Step {
  EntryKind kind = EntryKind::kRun;
  bool done = false;
  detail::StepOutcome outcome;
  std::uint64_t completed_seq = 0;  // engine-wide completion order, for live fan-in
  Scheduler::TimerId timer = 0;
};

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
  const detail::StepOutcome* enter_run(std::string_view name, std::uint32_t& index) override;
  void record_run(std::uint32_t index, detail::StepOutcome outcome) override;
  bool is_done(std::uint32_t step) const override { return steps.at(step).done; }
  const detail::StepOutcome& outcome(std::uint32_t step) const override {
    return steps.at(step).outcome;
  }
  void suspend_until_any(std::span<const std::uint32_t> wanted,
                         std::coroutine_handle<> waiter) override {
    suspended = waiter;
    waiting_on.assign(wanted.begin(), wanted.end());
  }
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
  std::vector<Engine::OutcomeCallback> waiters;
  Scheduler::TimerId start_timer = 0;  // the next attempt's: after a backoff, or a delayed start
  std::uint32_t attempts_before_resume = 0;  // a resume grants a fresh retry budget
  bool queued = false;                       // in its virtual object's queue (exclusive handlers)
  bool completing = false;
  bool created_durably = true;  // false from a client's invoke until its creation commits (I5)
  bool start_when_durable = false;

 private:
  std::string pending_run_name_;
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
    {
      std::lock_guard lock(mailbox->mutex);
      mailbox->scheduler = nullptr;
    }
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

  static std::string idempotency_slot(const store::InvocationRecord& r) {
    return store::idempotency_target(r.service, r.object_key, r.handler) + "\n" + r.idempotency_key;
  }

  // The outcome a finished record holds, as callers receive it.
  InvocationOutcome outcome_of(store::InvocationRecord record) const {
    bool ok = record.status == InvocationStatus::kSucceeded;
    auto expires = expires_at(record);
    return {record.id, ok, ok ? std::uint16_t{200} : record.error_code, std::move(record.output),
            expires};
  }

  std::int64_t expires_at(const store::InvocationRecord& r) const {
    return r.idempotency_key.empty() ? 0 : r.completed_at_ms + options.idempotency_retention_ms;
  }

  // Starts the first attempt now, or at the record's execute_at_ms. An exclusive invocation
  // joins its object's queue only when due: a delayed send does not hold the key meanwhile.
  void schedule_start(Invocation& inv) {
    if (inv.start_timer) scheduler.cancel(inv.start_timer);
    inv.start_timer = 0;
    std::string id = inv.record.id;
    auto start = [this, id] {
      if (Invocation* due = find(id); due && !due->queued) enqueue(*due);
      if (auto* i = startable(id)) start_attempt(*i);
    };
    // A cancelled invocation does not wait for its delay: it starts to meet the cancel.
    const bool cancelled = !inv.journal.empty() && inv.journal.back().kind == EntryKind::kCancel;
    if (inv.record.execute_at_ms > scheduler.now_ms() && !cancelled)
      inv.start_timer = scheduler.schedule_at(inv.record.execute_at_ms, std::move(start));
    else
      post(std::move(start));
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
    inv.cursor = 0;
    inv.rng = ids::DeterministicRandom(ids::seed_from(inv.record.id));
    inv.context = std::make_unique<Context>(inv);
    ++inv.record.attempts;
    if (inv.record.attempts > 1) {
      Write w{Write::Op::kAttempt, {}, {}};
      w.invocation.id = inv.record.id;
      w.invocation.attempts = inv.record.attempts;
      write(std::move(w));
    }
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
      outcome = {inv.record.id, false, e.code(), e.what()};
    } catch (const json::InvalidField& e) {
      outcome = {inv.record.id, false, error_code::kBadRequest, e.what()};
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
                               outcome.body};
      complete_step(inv->record.parent_id, inv->record.parent_index, std::move(step));
    }
    for (auto& waiter : inv->waiters) {
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
    if (inv->suspended &&
        std::find(inv->waiting_on.begin(), inv->waiting_on.end(), index) != inv->waiting_on.end()) {
      auto handle = std::exchange(inv->suspended, {});
      inv->waiting_on.clear();
      handle.resume();
      after_resume(*inv);
    }
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
  std::unordered_map<std::string, ObjectSlot> objects;  // "Service\nkey"

  void sweep();

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
      detail::StepOutcome outcome{c.failed, c.error_code, c.value};
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
  if (!target) throw TerminalError("no handler " + name, error_code::kNotFound);
  if (target->keyed() && object_key.empty())
    throw TerminalError(name + " needs a key", error_code::kBadRequest);
  if (!target->keyed() && !object_key.empty())
    throw TerminalError(name + " is not keyed: call it without a key", error_code::kBadRequest);
  if (target->kind == HandlerEntry::Kind::kWorkflowRun) {
    // A run executes once per workflow id, which a call step cannot promise to respect.
    throw TerminalError(name + " starts a workflow: start it from the ingress",
                        error_code::kBadRequest);
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
    throw TerminalError("state needs a virtual-object key", error_code::kBadRequest);
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
    throw TerminalError("state needs a virtual-object key", error_code::kBadRequest);
  if (!handler.writes_state()) {
    throw TerminalError("handler " + record.service + "/" + record.handler +
                            " is a shared handler: it may read state, not change it",
                        error_code::kBadRequest);
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
    throw TerminalError("durable promises belong to workflows; " + record.service + "/" +
                            record.handler + " is not a workflow handler",
                        error_code::kBadRequest);
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
    step.outcome = {it->second.failed, it->second.error_code, it->second.value};
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
  return detail::StepOutcome{it->second.failed, it->second.error_code, it->second.value};
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
    outcome.error_code = error_code::kInternal;
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

const detail::StepOutcome* Invocation::enter_run(std::string_view name, std::uint32_t& index) {
  if (auto* e = replayed(EntryKind::kRun, name)) {
    index = e->index;
    return &steps[index].outcome;
  }
  // The entry is appended by record_run once the side effect has produced its result; a run cannot
  // await, so no other step can take this index meanwhile.
  index = static_cast<std::uint32_t>(journal.size());
  pending_run_name_ = std::string(name);
  return nullptr;
}

void Invocation::record_run(std::uint32_t index, detail::StepOutcome outcome) {
  if (index != journal.size()) throw std::logic_error("run step recorded out of order");
  append(EntryKind::kRun, std::move(pending_run_name_), outcome.value, outcome.failed,
         outcome.error_code);
  Step& step = steps.back();
  step.done = true;
  step.outcome = std::move(outcome);
  step.completed_seq = ++engine_.completion_seq;
  Write w{Write::Op::kAppend, {}, journal.back()};
  w.invocation.id = record.id;
  engine_.write(std::move(w), engine_.audit_line(*this, journal.back()));
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

// ---- Engine ----

Engine::Engine(Scheduler& scheduler, store::Store& store, const Registry& registry,
               EngineOptions options)
    : impl_(std::make_unique<Impl>(scheduler, store, registry, std::move(options))) {}

Engine::~Engine() = default;

InvokeResult Engine::invoke(InvokeRequest request, OutcomeCallback on_done,
                            AcceptedCallback on_accepted) {
  Impl& impl = *impl_;
  const HandlerEntry* entry = impl.registry.find(request.service, request.handler);
  if (!entry) throw std::invalid_argument("no handler " + request.service + "/" + request.handler);
  const auto now = impl.scheduler.now_ms();
  // A workflow runs once per key: the key is its run's idempotency key, with the same retention.
  const bool workflow_run = entry->kind == HandlerEntry::Kind::kWorkflowRun;
  if (workflow_run) {
    if (!request.idempotency_key.empty())
      throw std::invalid_argument("a workflow's run takes no idempotency key");
    request.idempotency_key = request.object_key;
  }

  if (!request.idempotency_key.empty()) {
    if (auto existing = find_idempotent(
            store::idempotency_target(request.service, request.object_key, request.handler),
            request.idempotency_key)) {
      const Invocation* running = impl.find(*existing);
      std::optional<store::InvocationRecord> stored;
      if (!running) stored = impl.store.find_invocation(*existing);
      const store::InvocationRecord* record = running  ? &running->record
                                              : stored ? &*stored
                                                       : nullptr;
      // A finished invocation past its retention no longer holds the key: start anew.
      bool expired = !running && record && store::is_finished(record->status) &&
                     impl.expires_at(*record) <= now;
      // A new run on an expired workflow key starts without the old run's state and promises
      // (the drop commits before the new run's creation, in order).
      if (expired && workflow_run) impl.forget_key(request.service, request.object_key);
      if (record && !expired) {
        if (workflow_run && on_done) return {InvokeDisposition::kAlreadyInvoked, *existing, 0};
        if (!workflow_run && record->input != request.input)
          return {InvokeDisposition::kKeyReusedWithOtherInput, *existing, 0};
        InvokeResult result{InvokeDisposition::kExisting, *existing, record->execute_at_ms};
        if (on_done && stored && store::is_finished(stored->status))
          on_done(impl.outcome_of(*stored));  // already read: no second lookup
        else if (on_done)
          attach(*existing, std::move(on_done));
        if (on_accepted) {
          // The original's creation may still be in flight: answer once it is durable.
          auto accepted = [cb = std::move(on_accepted), id = *existing]() mutable { cb(id); };
          impl.after_durable(std::move(accepted));
        }
        return result;
      }
    }
  }

  store::InvocationRecord record;
  record.id = impl.options.id_source ? impl.options.id_source(now) : ids::new_invocation_id();
  record.service = std::move(request.service);
  record.handler = std::move(request.handler);
  record.input = std::move(request.input);
  record.created_at_ms = now;
  record.execute_at_ms = request.delay_ms > 0 ? now + request.delay_ms : 0;
  record.idempotency_key = std::move(request.idempotency_key);
  record.object_key = std::move(request.object_key);
  Write create{Write::Op::kCreate, record, {}};
  auto created = [&impl, id = record.id, cb = std::move(on_accepted)]() mutable {
    if (Invocation* inv = impl.find(id)) {
      inv->created_durably = true;
      if (std::exchange(inv->start_when_durable, false))
        if (Invocation* ready = impl.startable(id)) impl.start_attempt(*ready);
    }
    if (cb) cb(id);
  };
  impl.write_then(std::move(create), std::move(created));
  Invocation& inv = impl.add(std::move(record), *entry);
  inv.created_durably = false;
  if (on_done) inv.waiters.push_back(std::move(on_done));
  const auto& r = inv.record;
  if (!r.idempotency_key.empty()) impl.idempotent_running[Impl::idempotency_slot(r)] = r.id;
  InvokeResult result{InvokeDisposition::kStarted, r.id, r.execute_at_ms};
  if (r.execute_at_ms == 0) impl.enqueue(inv);
  if (r.execute_at_ms > 0 || !impl.may_run(inv))
    impl.schedule_start(inv);  // later: at its time, or when the object's queue reaches it
  else
    impl.start_attempt(inv);  // as soon as its creation is durable (I5)
  return result;
}

std::string Engine::invoke(std::string_view service, std::string_view handler,
                           std::string input_json, OutcomeCallback on_done,
                           AcceptedCallback on_accepted) {
  InvokeRequest request{std::string(service), std::string(handler), std::move(input_json), {}, 0};
  return invoke(std::move(request), std::move(on_done), std::move(on_accepted)).invocation_id;
}

std::optional<std::string> Engine::find_idempotent(const std::string& target,
                                                   const std::string& key) {
  auto it = impl_->idempotent_running.find(target + "\n" + key);
  if (it != impl_->idempotent_running.end()) return it->second;
  return impl_->store.find_idempotent(target, key);
}

void Engine::flush() {
  impl_->flush();
}

void Engine::after_durable(UniqueFunction<void()> then) {
  impl_->after_durable(std::move(then));
}

// ---- Operator controls ----

Engine::Control Engine::kill(const std::string& id) {
  Invocation* inv = impl_->find(id);
  if (!inv) return impl_->store.find_invocation(id) ? Control::kWrongState : Control::kNotFound;
  if (inv->completing) return Control::kWrongState;
  // The call tree goes with it: children still running would otherwise run for nobody.
  for (const auto& e : inv->journal)
    if (e.kind == EntryKind::kCall) kill(e.payload);
  impl_->complete(*inv, {id, false, error_code::kAborted, "killed by an operator"});
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
  Write w{Write::Op::kCompleteStep, {}, {}, {index, failed, code, value}};
  w.invocation.id = invocation_id;
  impl_->write_then(std::move(w), std::move(on_durable));
  // The handler may go on at once: whatever it makes visible is committed after this record.
  impl_->complete_step(invocation_id, index, {failed, code, std::move(value)});
  return Control::kDone;
}

// Cooperative: a cancel entry is journaled where the handler stands; its next step or await
// throws TerminalError(409, "cancelled"), its own catch blocks run compensation, and its running
// children are cancelled the same way.
Engine::Control Engine::cancel(const std::string& id) {
  Invocation* inv = impl_->find(id);
  if (!inv) return impl_->store.find_invocation(id) ? Control::kWrongState : Control::kNotFound;
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

  if (inv->record.status == InvocationStatus::kPaused) {
    impl_->set_status(*inv, InvocationStatus::kRunning);
    inv->attempts_before_resume = inv->record.attempts;  // compensation gets a fresh budget
    impl_->schedule_start(*inv);
  } else if (inv->start_timer && !inv->root.valid()) {
    // Backing off before a retry, or a delayed start: meet the cancel now.
    impl_->scheduler.cancel(inv->start_timer);
    inv->start_timer = 0;
    impl_->schedule_start(*inv);
  } else if (inv->suspended && inv->cursor == cancel_index) {
    // Suspended at the journal's end: it meets the cancel now. One suspended mid-replay meets
    // it when the replay gets there (its awaited children are being cancelled too).
    auto handle = std::exchange(inv->suspended, {});
    inv->waiting_on.clear();
    handle.resume();
    impl_->after_resume(*inv);
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

Engine::Control Engine::purge(const std::string& id) {
  if (impl_->find(id)) return Control::kWrongState;
  auto record = impl_->store.find_invocation(id);
  if (!record) return Control::kNotFound;
  if (!store::is_finished(record->status)) return Control::kWrongState;
  // A child's outcome is part of its unfinished parent's journal.
  if (!record->parent_id.empty() && impl_->find(record->parent_id)) return Control::kWrongState;
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
void Engine::Impl::sweep() {
  sweep_timer = 0;
  const auto now = scheduler.now_ms();
  const auto retention = std::max(options.journal_retention_ms, options.idempotency_retention_ms);
  const auto cutoff = now - retention;
  auto old = store.finished_before(ids::id_time_prefix(cutoff), cutoff, options.sweep_batch);
  std::size_t purged = 0;
  for (auto& record : old) {
    if (!drop_workflow_key(record)) continue;  // the next sweep tries again
    write(Write{Write::Op::kPurge, std::move(record), {}});
    ++purged;
  }
  if (purged > 0) spdlog::debug("retention sweep purged {} invocations", purged);
  // A full batch sweeps again at once, unless nothing in it could go (no busy loop).
  auto next = old.size() == options.sweep_batch && purged > 0 ? 0 : options.sweep_interval_ms;
  sweep_timer = scheduler.schedule_after(next, [this] { sweep(); });
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
          step.done = true;
          step.outcome = {e.failed, e.error_code, e.payload};
          break;
        case EntryKind::kWait:
        case EntryKind::kCancel:
          step.done = true;
          break;
        case EntryKind::kAwakeable:
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
            step.outcome = {it->second.failed, it->second.error_code, it->second.value};
          } else {
            slot.promise_waiters.emplace(e.name, std::make_pair(inv.record.id, i));
          }
          break;
        }
      }
      if (step.done) step.completed_seq = ++impl_->completion_seq;
    }
    for (const auto& c : u.completions) {
      if (c.index >= inv.steps.size() || inv.steps[c.index].kind != EntryKind::kAwakeable) continue;
      Step& step = inv.steps[c.index];
      step.done = true;
      step.outcome = {c.failed, c.error_code, c.value};
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

Engine::Lookup Engine::output(const std::string& invocation_id, InvocationOutcome& outcome) {
  if (impl_->find(invocation_id)) return Lookup::kRunning;
  auto record = impl_->store.find_invocation(invocation_id);
  if (!record) return Lookup::kUnknown;
  if (!store::is_finished(record->status)) return Lookup::kRunning;
  outcome = impl_->outcome_of(std::move(*record));
  return Lookup::kDone;
}

bool Engine::attach(const std::string& invocation_id, OutcomeCallback on_done) {
  if (auto* inv = impl_->find(invocation_id)) {
    inv->waiters.push_back(std::move(on_done));
    return true;
  }
  InvocationOutcome outcome;
  if (output(invocation_id, outcome) != Lookup::kDone) return false;
  on_done(std::move(outcome));
  return true;
}

std::size_t Engine::in_flight() const {
  return impl_->invocations.size();
}

std::size_t Engine::waiting_callers() const {
  std::size_t n = 0;
  for (const auto& [id, inv] : impl_->invocations) n += inv->waiters.size();
  return n;
}

void Engine::release_waiting_callers(std::uint16_t code, const std::string& message) {
  std::vector<std::pair<std::string, Engine::OutcomeCallback>> released;
  for (auto& [id, inv] : impl_->invocations) {
    for (auto& waiter : inv->waiters) released.emplace_back(id, std::move(waiter));
    inv->waiters.clear();
  }
  for (auto& [id, waiter] : released) waiter({id, false, code, message + id});
}

}  // namespace orderd
