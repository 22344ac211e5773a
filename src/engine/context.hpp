#pragma once
// The context API: everything a handler may do that the engine journals.
//
// Handlers are deterministic functions of their input and of what these calls return. The engine
// records each call's outcome; a replay (after a retry or a crash) returns the recorded outcome
// instead of doing the work again, and reports a JournalMismatch if the handler asks for something
// other than what was recorded at that step.
//
// g++ 12 caveat for handler authors: await named objects only (`auto t = f(); co_await
// std::move(t);`). A temporary with a destructor inside a co_await full-expression can be
// destroyed twice by that compiler.
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/json_writer.hpp"
#include "engine/errors.hpp"
#include "engine/replay_aware_logger.hpp"
#include "engine/result.hpp"
#include "engine/run_policy.hpp"
#include "engine/task.hpp"
#include "engine/write_set.hpp"

namespace orderd {

class Context;

namespace detail {

// What a finished step produced: a JSON value, or a terminal error.
struct StepOutcome {
  bool failed = false;
  std::uint16_t error_code = 0;
  std::string value;  // JSON text, or the error message when failed
};

// One attempt's end: done (a value or a terminal error), or a transient failure to retry.
struct EffectResult {
  bool retry = false;
  StepOutcome outcome;  // when !retry
  std::string reason;   // when retry: why the attempt failed
};

// A side effect run off the engine thread: exactly one of the two is set. Both may be called
// again for a retry, and may outlive the attempt of the handler that started them.
struct Effect {
  std::function<EffectResult(const EffectAttempt&)> blocking;     // on a worker thread
  std::function<Task<EffectResult>(EffectAttempt)> asynchronous;  // on the engine thread
  // Optional (a recorded effect): the domain rows for the effect's final outcome, committed with
  // its completion. Called once, on the engine thread (E2, effects.cpp).
  std::function<std::vector<store::RowWrite>(const StepOutcome&)> record;
};

// The engine's side of one invocation's journal. Context turns typed calls into these untyped
// steps; the engine implements them. Step ids are journal indexes.
class Journal {
 public:
  virtual ~Journal() = default;
  // `object_key` is empty for a plain service, the key for an object's or workflow's handler.
  virtual std::uint32_t start_call(std::string_view service, std::string_view object_key,
                                   std::string_view handler, std::string input_json) = 0;
  virtual std::uint32_t start_sleep(std::int64_t duration_ms) = 0;
  virtual std::uint32_t start_awakeable() = 0;
  // Virtual-object state, journaled: a replay reads what the live run read.
  virtual const std::string& object_key() const = 0;
  virtual std::optional<std::string> get_state(std::string_view name) = 0;
  virtual void set_state(std::string_view name, std::string json) = 0;
  virtual void clear_state(std::string_view name) = 0;
  // A workflow's durable promises, shared by the handlers of one workflow key. start_promise is a
  // step that completes with the promise; peek_promise yields nullopt while it is not completed;
  // complete_promise returns false when it was completed before (the first completion wins).
  virtual std::uint32_t start_promise(std::string_view name) = 0;
  virtual std::optional<StepOutcome> peek_promise(std::string_view name) = 0;
  virtual bool complete_promise(std::string_view name, StepOutcome outcome) = 0;
  // Returns the recorded outcome when replaying this run (or transact) step, nullptr when it must
  // execute.
  virtual const StepOutcome* enter_run(std::string_view name, std::uint32_t& index,
                                       bool transact) = 0;
  // `until_durable`: the step counts as done only once its record is durable. `rows`: a transact
  // step's domain writes, committed in the same batch as its record.
  virtual void record_run(std::uint32_t index, StepOutcome outcome, bool until_durable,
                          std::vector<store::RowWrite> rows) = 0;
  // An effect step: done once the effect has ended and its outcome is durable.
  virtual std::uint32_t start_effect(std::string_view name, Effect effect,
                                     const RunPolicy& policy) = 0;
  virtual bool is_done(std::uint32_t step) const = 0;
  virtual const StepOutcome& outcome(std::uint32_t step) const = 0;
  // Resumes `waiter` once any of `steps` is done.
  virtual void suspend_until_any(std::span<const std::uint32_t> steps,
                                 std::coroutine_handle<> waiter) = 0;
  // Fan-in: the step among `candidates` that completes next. Live: the earliest-completed done
  // step, journaled; nullopt if none is done yet. Replay: the recorded choice.
  virtual std::optional<std::uint32_t> choose_next(std::span<const std::uint32_t> candidates) = 0;

  // Throws Cancelled (kCancelled, 409) when the journal holds a cancel at this point. Every
  // step and every await checks, so a replay meets the cancel exactly where the live run did.
  virtual void throw_if_cancelled() = 0;
  virtual bool cancel_pending() const = 0;  // the handler's next journal entry is a cancel

  virtual bool replaying() const = 0;
  virtual const std::string& invocation_id() const = 0;
  // Recorded with the invocation, so every replay reads the same (see Context::principal).
  virtual const std::string& principal() const = 0;
  virtual const std::string& traceparent() const = 0;
  virtual std::int64_t created_at_ms() const = 0;
  virtual std::int64_t now_ms() const = 0;
  virtual std::string next_uuid() = 0;
  virtual double next_random() = 0;
};

// Awaits one step; yields its outcome.
struct StepAwaiter {
  Journal& journal;
  std::uint32_t step;
  bool await_ready() const { return journal.cancel_pending() || journal.is_done(step); }
  void await_suspend(std::coroutine_handle<> h) { journal.suspend_until_any({&step, 1}, h); }
  const StepOutcome& await_resume() const {
    journal.throw_if_cancelled();
    return journal.outcome(step);
  }
};

struct AnyStepAwaiter {
  Journal& journal;
  std::span<const std::uint32_t> steps;
  bool await_ready() const {
    if (journal.cancel_pending()) return true;
    for (auto s : steps)
      if (journal.is_done(s)) return true;
    return false;
  }
  void await_suspend(std::coroutine_handle<> h) { journal.suspend_until_any(steps, h); }
  void await_resume() const { journal.throw_if_cancelled(); }
};

[[noreturn]] void throw_terminal(const StepOutcome& outcome);

[[noreturn]] void throw_undecodable(const std::exception& e);

// A recorded value of the wrong shape fails for good: it would fail the same way on every retry.
template <class T>
T decode_json(const std::string& text) {
  try {
    return boost::json::value_to<T>(boost::json::parse(text));
  } catch (const TerminalError&) {
    throw;
  } catch (const std::exception& e) {
    throw_undecodable(e);
  }
}

template <class T>
T decode_outcome(const StepOutcome& outcome) {
  if (outcome.failed) throw_terminal(outcome);
  if constexpr (std::is_void_v<T>) {
    return;
  } else {
    return decode_json<T>(outcome.value);
  }
}

// The value of `fn(...)` as a step outcome: JSON, or the terminal error it threw.
template <class R, class Fn>
StepOutcome outcome_of(Fn& fn) {
  StepOutcome outcome;
  try {
    if constexpr (std::is_void_v<R>) {
      fn();
      outcome.value = "null";
    } else {
      outcome.value = json::dump(boost::json::value_from(fn()));
    }
  } catch (const TerminalError& e) {
    outcome = {true, e.code(), e.error().encode()};
  }
  return outcome;
}

// An effect's function may take its attempt (for its idempotency key) or nothing.
template <class Fn>
decltype(auto) call_effect(Fn& fn, const EffectAttempt& attempt) {
  if constexpr (std::is_invocable_v<Fn&, const EffectAttempt&>)
    return fn(attempt);
  else
    return fn();
}
template <class Fn>
using effect_result_t = decltype(call_effect(std::declval<Fn&>(), std::declval<EffectAttempt>()));

// One attempt of a blocking effect: any exception but a TerminalError is a transient failure.
template <class R, class Fn>
EffectResult attempt_blocking(Fn& fn, const EffectAttempt& attempt) {
  EffectResult result;
  try {
    auto bound = [&]() -> R { return call_effect(fn, attempt); };
    result.outcome = outcome_of<R>(bound);
  } catch (const std::exception& e) {
    result = {true, {}, e.what()};
  } catch (...) {
    result = {true, {}, "unknown error"};
  }
  return result;
}

// One attempt of an asynchronous effect. `attempt` lives in this frame for as long as the
// effect's own coroutine may refer to it.
template <class R, class Fn>
Task<EffectResult> attempt_async(std::shared_ptr<Fn> fn, EffectAttempt attempt) {
  EffectResult result;
  try {
    Task<R> task = call_effect(*fn, attempt);
    if constexpr (std::is_void_v<R>) {
      co_await std::move(task);
      result.outcome.value = "null";
    } else {
      R value = co_await std::move(task);
      result.outcome.value = json::dump(boost::json::value_from(value));
    }
  } catch (const TerminalError& e) {
    result.outcome = {true, e.code(), e.error().encode()};
  } catch (const std::exception& e) {
    result = {true, {}, e.what()};
  } catch (...) {
    result = {true, {}, "unknown error"};
  }
  co_return result;
}

// A step outcome as the Result a handler's code branches on.
template <class R>
Result<R> result_of(const StepOutcome& outcome) {
  try {
    if constexpr (std::is_void_v<R>) {
      decode_outcome<void>(outcome);
      return Result<R>();
    } else {
      return Result<R>(decode_outcome<R>(outcome));
    }
  } catch (const TerminalError& e) {
    return Result<R>(e.error());
  }
}

// A recorded effect's `record(const Result<R>&, WriteSet&)` as the engine calls it.
template <class R, class Record>
std::function<std::vector<store::RowWrite>(const StepOutcome&)> recorder(Record record) {
  auto shared = std::make_shared<Record>(std::move(record));
  return [shared](const StepOutcome& outcome) {
    const Result<R> result = result_of<R>(outcome);
    WriteSet writes;
    (*shared)(result, writes);
    return writes.take();
  };
}

template <class T>
struct task_value;
template <class T>
struct task_value<Task<T>> {
  using type = T;
};

}  // namespace detail

// A durable future: the pending result of a call or a sleep. Created at once (fan-out); awaiting
// it yields the result, or throws the callee's TerminalError.
template <class T>
class Future {
 public:
  Future(detail::Journal& journal, std::uint32_t step) : journal_(&journal), step_(step) {}

  bool done() const { return journal_->is_done(step_); }
  std::uint32_t step() const { return step_; }
  bool failed() const { return done() && journal_->outcome(step_).failed; }

  // The result of a done future (throws its TerminalError if it failed).
  T result() const { return detail::decode_outcome<T>(journal_->outcome(step_)); }

  // Awaiting settle() yields the value or the typed error, and never throws for a failure: a
  // cancel met here is an error (kCancelled) like any other, so the caller can compensate
  // without a catch block. `auto r = f.settle(); Result<T> got = co_await r;`
  auto settle() const {
    struct Awaiter : detail::StepAwaiter {
      Result<T> await_resume() const {
        try {
          journal.throw_if_cancelled();
          if constexpr (std::is_void_v<T>) {
            detail::decode_outcome<T>(journal.outcome(step));
            return Result<T>();
          } else {
            return Result<T>(detail::decode_outcome<T>(journal.outcome(step)));
          }
        } catch (const TerminalError& e) {
          return Result<T>(e.error());
        }
      }
    };
    return Awaiter{{*journal_, step_}};
  }

  auto operator co_await() const {
    struct Awaiter : detail::StepAwaiter {
      T await_resume() const {
        journal.throw_if_cancelled();
        return detail::decode_outcome<T>(journal.outcome(step));
      }
    };
    return Awaiter{{*journal_, step_}};
  }

 private:
  detail::Journal* journal_;
  std::uint32_t step_;
};

// A promise an outside system completes through the ingress:
// POST /restate/awakeables/{id}/resolve (the JSON value) or /reject.
template <class T>
struct Awakeable {
  std::string id;
  Future<T> future;
};

// A workflow's durable promise, named and shared by every handler of one workflow key: the run
// handler awaits a signal that a shared handler resolves, or a shared handler awaits a result the
// run handler publishes. Its outcome is durable and never changes once set.
template <class T>
class DurablePromise {
 public:
  DurablePromise(detail::Journal& journal, std::string name)
      : journal_(&journal), name_(std::move(name)) {}

  // Awaiting the future yields the value once some handler resolves the promise (or throws its
  // rejection).
  Future<T> get() { return Future<T>(*journal_, journal_->start_promise(name_)); }
  // The value if the promise is resolved (throws its rejection); nullopt while it is not.
  std::optional<T> peek() {
    auto outcome = journal_->peek_promise(name_);
    if (!outcome) return std::nullopt;
    return detail::decode_outcome<T>(*outcome);
  }
  // Both throw TerminalError(kConflict) when the promise was completed before.
  void resolve(const T& value) { complete({false, 0, json::dump(boost::json::value_from(value))}); }
  void reject(std::string message, ErrorCode code = ErrorCode::kInternal) {
    complete({true, status_code(code), Error::of(code, std::move(message)).encode()});
  }
  // Restate's form: a numeric code.
  void reject(std::string message, std::uint16_t status) {
    complete({true, status, std::move(message)});
  }

 private:
  void complete(detail::StepOutcome outcome) {
    if (!journal_->complete_promise(name_, std::move(outcome)))
      throw TerminalError(ErrorCode::kConflict, "promise '" + name_ + "' was already completed");
  }
  detail::Journal* journal_;
  std::string name_;
};

// A future a Waiter yields as completed: compare it with the futures it was given
// (`if (done == payment)`), or take its position among them.
class Completed {
 public:
  Completed(std::size_t position, std::uint32_t step) : position_(position), step_(step) {}
  std::size_t position() const { return position_; }
  template <class T>
  bool is(const Future<T>& future) const {
    return future.step() == step_;
  }
  template <class T>
  friend bool operator==(const Completed& done, const Future<T>& future) {
    return done.is(future);
  }

 private:
  std::size_t position_;
  std::uint32_t step_;
};

// Fan-in over a set of futures, in the order they complete. The order is journaled, so a replay
// yields the same order even though every future is already done by then.
class Waiter {
 public:
  Waiter(detail::Journal& journal, std::vector<std::uint32_t> steps)
      : journal_(&journal), steps_(steps), remaining_(std::move(steps)) {}

  // The next completed future, or nullopt when every future has been yielded.
  Task<std::optional<Completed>> next();

 private:
  detail::Journal* journal_;
  std::vector<std::uint32_t> steps_;
  std::vector<std::uint32_t> remaining_;
};

class Context {
 public:
  explicit Context(detail::Journal& journal) : journal_(journal) {}
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Starts `service/handler` with `request` as a child invocation and returns at once.
  template <class Resp, class Req>
  Future<Resp> call(std::string_view service, std::string_view handler, const Req& request) {
    std::string input = json::dump(boost::json::value_from(request));
    return Future<Resp>(journal_, journal_.start_call(service, "", handler, std::move(input)));
  }

  // The same for a virtual object's or a workflow's shared handler, under `key`. An exclusive
  // handler queues behind the key's other exclusive invocations, as a client's call would.
  template <class Resp, class Req>
  Future<Resp> call(std::string_view service, std::string_view key, std::string_view handler,
                    const Req& request) {
    std::string input = json::dump(boost::json::value_from(request));
    return Future<Resp>(journal_, journal_.start_call(service, key, handler, std::move(input)));
  }

  // Hand `id` to the outside system (through a run step, a call...), then await `future`.
  template <class T>
  Awakeable<T> awakeable() {
    std::uint32_t step = journal_.start_awakeable();
    return Awakeable<T>{awakeable_id(step), Future<T>(journal_, step)};
  }

  // Virtual objects: the key this invocation runs under, and its durable state. Exclusive
  // handlers run one at a time per key, so get-then-set is safe; shared handlers may only read.
  const std::string& key() const { return journal_.object_key(); }
  template <class T>
  std::optional<T> get(std::string_view name) {
    auto stored = journal_.get_state(name);
    if (!stored) return std::nullopt;
    return detail::decode_json<T>(*stored);
  }
  template <class T>
  void set(std::string_view name, const T& value) {
    journal_.set_state(name, json::dump(boost::json::value_from(value)));
  }
  void clear(std::string_view name) { journal_.clear_state(name); }

  // Workflows only: the promise `name` of this workflow key.
  template <class T>
  DurablePromise<T> promise(std::string name) {
    return DurablePromise<T>(journal_, std::move(name));
  }

  // A durable timer: after a crash it resumes with the time it has left.
  Future<void> sleep(std::chrono::milliseconds duration) {
    return Future<void>(journal_, journal_.start_sleep(duration.count()));
  }

  // Four ways to make a journaled step; each records its result, which a replay returns without
  // doing the work again:
  //  - run: `fn` runs inline, on the engine thread, which serves every order. For quick, local
  //    work only (computing a value, reading a clock, drawing an id), never for I/O.
  //  - run_durable: as run, but the future completes once the record is durable, for a result
  //    that later effects are built from (docs/ARCHITECTURE.md).
  //  - transact: as run, and the domain rows `fn` writes commit in the same transaction as the
  //    step's record. For decisions against in-memory domain state (a stock ledger).
  //  - run_on_worker / run_async: the effect runs off the engine thread (a blocking call on a
  //    worker, or asynchronous I/O), with a timeout and retries (RunPolicy); the future completes
  //    once its outcome is durable. For anything that talks to the outside world. Its first
  //    attempt starts only once every step before it is durable (E1, effects.cpp), so the
  //    outside world never acts on a decision a crash could take back.
  //
  // A TerminalError from `fn` is journaled and rethrown to the awaiter. Any other exception fails
  // the attempt: the invocation's attempt for run, run_durable and transact; the effect's attempt
  // (retried by its RunPolicy) for run_on_worker and run_async.
  //
  // run is synchronous on purpose: a step's record need not be durable before the handler goes
  // on (only what others can see waits for durability), so there is nothing to await.
  template <class Fn>
  std::invoke_result_t<Fn&> run(std::string_view name, Fn&& fn) {
    using R = std::invoke_result_t<Fn&>;
    std::uint32_t index = 0;
    if (const auto* recorded = journal_.enter_run(name, index, false))
      return detail::decode_outcome<R>(*recorded);
    detail::StepOutcome outcome = execute(fn);
    journal_.record_run(index, outcome, false, {});
    return detail::decode_outcome<R>(outcome);
  }

  // Costs the wait for one group commit. Await it: `auto f = ctx.run_durable(...); co_await f;`.
  template <class Fn>
  Future<std::invoke_result_t<Fn&>> run_durable(std::string_view name, Fn&& fn) {
    using R = std::invoke_result_t<Fn&>;
    std::uint32_t index = 0;
    if (journal_.enter_run(name, index, false)) return Future<R>(journal_, index);
    journal_.record_run(index, execute(fn), true, {});
    return Future<R>(journal_, index);
  }

  // `fn(WriteSet&)` decides and writes its rows. It may change in-memory domain state only when
  // it returns a value: a terminal failure writes no rows (so it must leave memory as it was),
  // and a step that throws anything else is retried.
  template <class Fn>
  std::invoke_result_t<Fn&, WriteSet&> transact(std::string_view name, Fn&& fn) {
    using R = std::invoke_result_t<Fn&, WriteSet&>;
    std::uint32_t index = 0;
    if (const auto* recorded = journal_.enter_run(name, index, true))
      return detail::decode_outcome<R>(*recorded);
    WriteSet writes;
    auto bound = [&]() -> R { return fn(writes); };
    detail::StepOutcome outcome = execute(bound);
    std::vector<store::RowWrite> rows = writes.take();
    if (outcome.failed) rows.clear();
    journal_.record_run(index, outcome, false, std::move(rows));
    return detail::decode_outcome<R>(outcome);
  }

  // `fn()` or `fn(const EffectAttempt&)` runs on a worker thread. It must own what it uses
  // (capture by value): it can outlive the handler's attempt, and a timed-out attempt keeps its
  // worker until it returns, so the retry after a timeout can run beside it: `fn` must be safe
  // to call twice at once (no mutable state). Key the outside call by attempt.idempotency_key.
  template <class Fn>
  auto run_on_worker(std::string_view name, Fn fn, RunPolicy policy = {}) {
    using R = detail::effect_result_t<Fn>;
    auto shared = std::make_shared<Fn>(std::move(fn));
    detail::Effect effect;
    effect.blocking = [shared](const EffectAttempt& attempt) {
      return detail::attempt_blocking<R>(*shared, attempt);
    };
    return Future<R>(journal_, journal_.start_effect(name, std::move(effect), policy));
  }

  // `fn()` or `fn(const EffectAttempt&)` returns a Task<R> doing asynchronous I/O; it runs on
  // the engine thread and must not block. A Handoff (handoff.hpp) brings it a value from another
  // thread. A timed-out attempt's coroutine is destroyed.
  template <class Fn>
  auto run_async(std::string_view name, Fn fn, RunPolicy policy = {}) {
    using R = typename detail::task_value<detail::effect_result_t<Fn>>::type;
    auto shared = std::make_shared<Fn>(std::move(fn));
    detail::Effect effect;
    effect.asynchronous = [shared](EffectAttempt attempt) {
      return detail::attempt_async<R>(shared, std::move(attempt));
    };
    return Future<R>(journal_, journal_.start_effect(name, std::move(effect), policy));
  }

  // Recorded effects: as run_async / run_on_worker, and when the effect has ended for good (a
  // value, a terminal failure, or its attempts spent) `record(const Result<R>&, WriteSet&)` runs
  // once, on the engine thread, and the rows it writes commit in the same transaction as the
  // step's outcome: no store holds one without the other. For an outside call whose result a
  // ledger must hold (a payment's charge). `record` may change in-memory domain state (as
  // transact's function does); it must own what it uses (it can outlive the handler's attempt)
  // and must not throw (if it does, the step fails with effect_record_failed and writes no
  // rows). It never runs on a replay that finds the step completed, and it does not run at all
  // when the invocation is killed (or finishes) before the effect ends: whoever owns the ledger
  // reconciles such a step by its idempotency key (attempt.idempotency_key).
  template <class Fn, class Record>
  auto run_async_recorded(std::string_view name, Fn fn, RunPolicy policy, Record record) {
    using R = typename detail::task_value<detail::effect_result_t<Fn>>::type;
    auto shared = std::make_shared<Fn>(std::move(fn));
    detail::Effect effect;
    effect.asynchronous = [shared](EffectAttempt attempt) {
      return detail::attempt_async<R>(shared, std::move(attempt));
    };
    effect.record = detail::recorder<R>(std::move(record));
    return Future<R>(journal_, journal_.start_effect(name, std::move(effect), policy));
  }

  template <class Fn, class Record>
  auto run_on_worker_recorded(std::string_view name, Fn fn, RunPolicy policy, Record record) {
    using R = detail::effect_result_t<Fn>;
    auto shared = std::make_shared<Fn>(std::move(fn));
    detail::Effect effect;
    effect.blocking = [shared](const EffectAttempt& attempt) {
      return detail::attempt_blocking<R>(*shared, attempt);
    };
    effect.record = detail::recorder<R>(std::move(record));
    return Future<R>(journal_, journal_.start_effect(name, std::move(effect), policy));
  }

  template <class... Fs>
  Waiter wait(const Fs&... futures) {
    return Waiter(journal_, {futures.step()...});
  }

  // Waits for every future; does not throw for failed ones (inspect each with failed()).
  // Futures are taken by value (a step index and a pointer): the task may start after the
  // caller's temporaries are gone.
  template <class... Fs>
  Task<void> all(Fs... futures) {
    Waiter waiter = wait(futures...);
    for (;;) {
      auto next = waiter.next();
      if (!co_await std::move(next)) break;
    }
  }

  // Waits for the first future to complete and returns its position.
  template <class... Fs>
  Task<std::size_t> any(Fs... futures) {
    Waiter waiter = wait(futures...);
    auto next = waiter.next();
    std::optional<Completed> first = co_await std::move(next);
    co_return first->position();
  }

  // Runs a side effect and captures its result, or its terminal error, as a step outcome.
  template <class Fn>
  static detail::StepOutcome execute(Fn& fn) {
    return detail::outcome_of<std::invoke_result_t<Fn&>>(fn);
  }

  // Deterministic per invocation: a replay draws the same values in the same order.
  std::string uuid() { return journal_.next_uuid(); }
  double random() { return journal_.next_random(); }

  // Silent while the handler replays steps it already executed.
  ReplayAwareLogger log() const { return ReplayAwareLogger(journal_.replaying()); }

  const std::string& invocation_id() const { return journal_.invocation_id(); }
  // Who called (empty: anonymous) and under which W3C trace context (empty: none), as the front
  // door recorded them with the invocation; a call step's child has its parent's. For handlers
  // that decide by caller, and for metrics and traces to attribute the work.
  const std::string& principal() const { return journal_.principal(); }
  const std::string& traceparent() const { return journal_.traceparent(); }
  std::string awakeable_id(std::uint32_t step) const;
  // Wall-clock milliseconds since the invocation was accepted. Not journaled: for reporting only.
  std::int64_t elapsed_ms() const { return journal_.now_ms() - journal_.created_at_ms(); }
  // When the invocation was accepted (durable, the same on every replay).
  std::int64_t created_at_ms() const { return journal_.created_at_ms(); }
  // The engine's clock. Not journaled: read it inside a step's function (run, transact), whose
  // result is what a replay sees.
  std::int64_t clock_ms() const { return journal_.now_ms(); }

 private:
  detail::Journal& journal_;
};

}  // namespace orderd
