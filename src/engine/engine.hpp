#pragma once
// The durable execution engine: runs handlers, journals every step, replays after retries and
// crashes. It knows nothing of HTTP or of orders; it sees handlers only through the Registry and
// persists only through the Store interface.
//
// Threading: every member function runs on the scheduler's thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/unique_function.hpp"
#include "engine/retry_policy.hpp"
#include "store/records.hpp"

namespace orderd {

class Invocation;
class Registry;
class Scheduler;
class WorkerPool;
namespace store {
class Store;
}

struct EngineOptions {
  RetryPolicy retry;
  // When set, every step whose record becomes durable while executing (never while replaying) is
  // appended as one line to this file: an audit trail tests read to prove no step ran twice.
  std::string audit_log_path;
  // How long a finished invocation's idempotency key keeps answering with its stored outcome.
  std::int64_t idempotency_retention_ms = 24 * 3600 * 1000;
  // How long a finished invocation and its journal are kept (at least as long as its
  // idempotency key), and how often, and how many at a time, the sweeper deletes older ones.
  std::int64_t journal_retention_ms = 24 * 3600 * 1000;
  std::int64_t sweep_interval_ms = 60'000;
  std::size_t sweep_batch = 1000;
  // Largest group commit, in writes; 0 = whatever one turn of the event loop produced. Tests set
  // 1 to make every step its own transaction, and so its own crash point.
  std::size_t max_writes_per_batch = 0;
  // Where new invocation ids come from, given the scheduler's time; empty: ids::new_invocation_id.
  // The deterministic simulation injects a seeded source.
  std::function<std::string(std::int64_t now_ms)> id_source;
  // Where blocking effects (Context::run_on_worker) run. Not owned; it must outlive the engine.
  // Null: the engine starts `default_workers` threads of its own on the first such effect.
  WorkerPool* workers = nullptr;
  std::size_t default_workers = 2;
  // A parked invocation (waiting only on a sleep, an awakeable or a promise) whose wait has
  // lasted this long has its coroutine frames dropped; the step it waits for replays it from
  // its journal in memory. Checked every unload_after_ms / 2.
  std::int64_t unload_after_ms = 1000;
};

// An invocation as an operator inspects it: its record, its journal, and the children its call
// steps started.
struct InvocationDetails {
  store::InvocationRecord record;
  std::vector<store::JournalEntry> journal;
  std::vector<store::InvocationRecord> children;
};

// A client's request to start an invocation.
struct InvokeRequest {
  std::string service;
  std::string handler;
  std::string input;            // JSON, already validated against the handler's request type
  std::string idempotency_key;  // empty: none
  std::int64_t delay_ms = 0;    // start this much later (sends only)
  std::string object_key;       // the virtual-object key or workflow id, for keyed handlers
  // Who calls, as the ingress authenticated it; empty: anonymous. Scopes the idempotency key:
  // two callers' equal keys name two invocations. A workflow id is one for every caller.
  // Recorded in the invocation (InvocationRecord::principal), where its handler reads it.
  std::string principal;
  // The caller's W3C trace context (a valid `traceparent` header), recorded like the principal.
  std::string traceparent;
};

enum class InvokeDisposition {
  kStarted,   // a new invocation
  kExisting,  // the idempotency key named an invocation already started with this input
  kKeyReusedWithOtherInput,  // the key names an invocation started with a different input
  kAlreadyInvoked,           // a call to a workflow's run for a key that already ran (or runs)
};

// Names one caller waiting for an invocation's outcome (Engine::detach); 0 names none.
using WaiterId = std::uint64_t;

struct InvokeResult {
  InvokeDisposition disposition = InvokeDisposition::kStarted;
  std::string invocation_id;
  std::int64_t execute_at_ms = 0;  // set for delayed invocations
  WaiterId waiter = 0;             // on_done, while it waits in the engine (detach)
};

struct InvocationOutcome {
  std::string invocation_id;
  bool ok = false;
  std::uint16_t code = 200;                    // the terminal error's numeric code when !ok
  std::string body;                            // JSON output when ok, the error message otherwise
  std::int64_t idempotency_expires_at_ms = 0;  // when started with an idempotency key
  Error error;                                 // when !ok: the typed failure
};

class Engine {
 public:
  using OutcomeCallback = UniqueFunction<void(InvocationOutcome)>;
  using AcceptedCallback = UniqueFunction<void(const std::string& invocation_id)>;

  Engine(Scheduler& scheduler, store::Store& store, const Registry& registry,
         EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Resumes every invocation the store holds as unfinished. Returns how many.
  std::size_t recover();

  // Starts an invocation of a registered handler. on_done runs once its outcome is durable;
  // on_accepted (optional) once its input is durable. With an idempotency key naming an
  // invocation started with the same input, both attach to that one instead (kExisting); with a
  // different input neither runs (kKeyReusedWithOtherInput). A workflow's run executes once per
  // key: again with on_done it is kAlreadyInvoked (neither runs), without it kExisting; for a
  // workflow that attaches on the same input (Registry::attach_same_input) the run's key behaves
  // as an idempotency key instead: the same input kExisting, another kKeyReusedWithOtherInput.
  InvokeResult invoke(InvokeRequest request, OutcomeCallback on_done,
                      AcceptedCallback on_accepted = {});
  std::string invoke(std::string_view service, std::string_view handler, std::string input_json,
                     OutcomeCallback on_done, AcceptedCallback on_accepted = {});
  // The invocation `principal` (empty: anonymous) started under an idempotency key, if it is
  // still known. `target` is "Service/handler", or "Service/objectKey/handler"
  // (store::idempotency_target).
  std::optional<std::string> find_idempotent(const std::string& target, const std::string& key,
                                             const std::string& principal = {});

  // The service an invocation belongs to, in memory or stored; nullopt when it is unknown.
  std::optional<std::string> service_of(const std::string& invocation_id);
  // Its service, handler and the principal that started it (empty: anonymous), for the ingress's
  // visibility checks; nullopt when there is no such invocation.
  struct Origin {
    std::string service;
    std::string principal;
    std::string handler;
  };
  std::optional<Origin> origin_of(const std::string& invocation_id);

  enum class Lookup { kUnknown, kRunning, kDone };
  // The outcome of a finished invocation, without waiting.
  Lookup output(const std::string& invocation_id, InvocationOutcome& outcome);
  // Calls `on_done` with the outcome once the invocation has finished; false if it is unknown.
  bool attach(const std::string& invocation_id, OutcomeCallback on_done);
  // As attach; the id of the waiter while it waits (0: answered at once, or unknown: `known`).
  WaiterId attach_waiter(const std::string& invocation_id, OutcomeCallback on_done, bool& known);
  // A caller that stopped waiting (its client hung up, its deadline passed): its callback is
  // dropped now, never called. The invocation goes on. Unknown ids are ignored.
  void detach(const std::string& invocation_id, WaiterId waiter);

  // Invocations in memory, and among them the parked ones (waiting only on a sleep, an
  // awakeable or a promise: no CPU, little memory) and, among those, the unloaded ones (no
  // coroutine frames).
  std::size_t in_flight() const;
  std::size_t parked() const;
  // Delayed sends in memory that are not due yet: they wait on nothing but their start time, so
  // they count against --max-scheduled, not against the active bound, until they are due.
  std::size_t scheduled() const;
  // Of the parked and of the scheduled ones, those `principal` started (their children
  // included; "" names anonymous ones), for the quotas per caller (--quota-parked,
  // --quota-scheduled). Kept as invocations park and wake, are scheduled and come due: constant
  // time, never a scan.
  std::size_t parked_of(const std::string& principal) const;
  std::size_t scheduled_of(const std::string& principal) const;
  // The entries behind them: one per principal with parked work, one per principal with
  // scheduled work. Bounded by that live work (Q1, engine_internal.hpp).
  std::size_t counted_principals() const;
  // What --max-inflight bounds: in_flight() - parked() - scheduled().
  std::size_t active() const;
  std::size_t unloaded() const;
  // Graceful shutdown: how many callers wait for an outcome (calls, attaches), and answering
  // them all at once with `code` and `message` (+ the invocation id). The invocations go on, and
  // resume at the next start if they have not finished by then.
  std::size_t waiting_callers() const;
  void release_waiting_callers(std::uint16_t code, const std::string& message);
  // Makes everything journaled so far durable: what waits on it is released as usual.
  void flush();
  // Runs `then` once everything journaled so far is durable.
  void after_durable(UniqueFunction<void()> then);

  // Runs `sweeper` on the engine thread at every retention sweep (each sweep_interval_ms): a
  // domain's own bounded clean-up (the outbox's published events), on the same schedule.
  void add_sweeper(UniqueFunction<void()> sweeper);

  // Domain rows (store/rows.hpp) written outside any invocation, for writes that are idempotent
  // by themselves (an operator setting a product's price). on_durable runs on the engine thread
  // once they are durable; the rows' tables must be registered (Registry::add_table).
  void write_rows(std::vector<store::RowWrite> rows, UniqueFunction<void()> on_durable);
  // Durable rows. read_row is a point read on the engine thread (cheap: mapped pages, one
  // B-tree lookup); scan_rows runs the scan on the store's reader thread and calls `done` on
  // the engine thread, with nullopt if the scan failed. Neither sees rows that are journaled
  // but not yet durable.
  std::optional<std::string> read_row(const std::string& table, const std::string& key);
  using ScanDone = UniqueFunction<void(std::optional<std::vector<store::Row>>)>;
  void scan_rows(store::RowRange range, ScanDone done);

  // Operator controls. kill: fails it and its running call tree at once (409, no compensation).
  // cancel: its next step or await throws TerminalError(409, "cancelled"), so its compensation
  // runs; the cancel spreads to its running calls. on_durable runs once the cancel is durable.
  // A cancel is journaled once: cancelling an invocation whose journal already holds a cancel
  // (met by its handler or not, finished since or not) writes and wakes nothing, returns kDone,
  // and runs on_durable once that first cancel is durable.
  // pause: stops its attempt; resume: replays it with a fresh retry budget. purge: forgets a
  // finished invocation, its journal and its idempotency key, unless a purge guard refuses
  // (kRefused, the guard's error in *refusal).
  enum class Control { kDone, kNotFound, kWrongState, kRefused };
  Control kill(const std::string& invocation_id);
  Control cancel(const std::string& invocation_id, UniqueFunction<void()> on_durable = {});
  // Resolves (failed = false, `value` is JSON) or rejects an awakeable. on_durable runs once the
  // outcome is durable. kNotFound: no such awakeable waiting; kWrongState: already completed.
  Control complete_awakeable(const std::string& awakeable_id, bool failed, std::uint16_t code,
                             std::string value, UniqueFunction<void()> on_durable);
  Control pause(const std::string& invocation_id);
  Control resume(const std::string& invocation_id);
  Control purge(const std::string& invocation_id, Error* refusal = nullptr);
  // A domain's veto on forgetting a finished invocation (its journal is the domain's only
  // record of something still open, e.g. a payment not yet reconciled): nullopt lets it go, an
  // Error refuses, with the stable reason and message the operator sees. Asked by purge and by
  // the retention sweep, which skips what a guard refuses and tries again at later sweeps.
  using PurgeGuard = std::function<std::optional<Error>(const store::InvocationRecord&)>;
  void add_purge_guard(PurgeGuard guard);

  std::vector<store::InvocationRecord> list(const store::ListQuery& query);
  std::optional<InvocationDetails> describe(const std::string& invocation_id);

 private:
  friend class Invocation;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace orderd
