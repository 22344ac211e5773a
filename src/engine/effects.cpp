#include "common/error_code.hpp"
#include "engine/engine_internal.hpp"

// Effect steps: side effects run off the engine thread (a worker, or asynchronous I/O), with a
// timeout and retries per step. The step's journal entry (kEffect) is written when it starts; its
// outcome is a Completion written when the effect ends, and the step is done once that is durable
// (I1), so nothing is built on an outcome a crash could forget. An entry without a completion is
// an effect that had not ended: the replay that meets it runs it again, under the same
// idempotency key (the invocation id and the step index, both stable: I2, I5).
//
//  E1. An effect's first attempt goes out only once everything journaled before it (the steps
//      that decided it, its own entry) is durable, and only if its run still exists then (the
//      invocation was not killed or finished meanwhile). A crash can therefore never replay a
//      different decision after the outside world has acted on the first one.
//  E2. A recorded effect's `record` runs exactly once, on the engine thread, when the effect has
//      ended for good and its completion is written; its rows go in the same transaction as that
//      completion. A replay that finds the completion never calls it; an invocation killed (or
//      finished) before the effect ended never calls it either.

namespace orderd {

namespace {

// Drives one asynchronous attempt to its end. `ended` must not destroy this frame: it posts.
Task<void> drive_async_attempt(Task<detail::EffectResult> attempt,
                               std::function<void(detail::EffectResult)> ended) {
  detail::EffectResult result = co_await std::move(attempt);
  ended(std::move(result));
}

}  // namespace

std::uint32_t Invocation::start_effect(std::string_view name, detail::Effect effect,
                                       const RunPolicy& policy) {
  std::uint32_t index = 0;
  if (auto* e = replayed(EntryKind::kEffect, name)) {
    index = e->index;
    // Done, or still running (or settling) from an earlier attempt of the handler: nothing to
    // start.
    if (steps[index].done || engine_.effects.count({record.id, index})) return index;
  } else {
    index = append(EntryKind::kEffect, std::string(name), "");
    Write w{Write::Op::kAppend, {}, journal.back()};
    w.invocation.id = record.id;
    engine_.write(std::move(w));  // audited when it has run (settle_effect), not when it starts
  }
  auto run = std::make_unique<EffectRun>();
  run->invocation_id = record.id;
  run->index = index;
  run->name = std::string(name);
  run->effect = std::move(effect);
  run->policy = policy;
  engine_.effects[{record.id, index}] = std::move(run);
  engine_.launch_when_durable({record.id, index});  // E1, also for a replayed entry
  return index;
}

void Engine::Impl::launch_when_durable(const EffectKey& key) {
  auto first_attempt = [this, key] {
    auto it = effects.find(key);
    // Gone (killed, finished) or already under way: nothing launches (E1).
    if (it == effects.end() || it->second->attempt > 0 || it->second->settling) return;
    launch_effect(*it->second);
  };
  after_durable(std::move(first_attempt));
}

WorkerPool& Engine::Impl::workers() {
  if (options.workers) return *options.workers;
  if (!own_workers) own_workers = make_thread_pool(options.default_workers);
  return *own_workers;
}

void Engine::Impl::launch_effect(EffectRun& run) {
  ++run.attempt;
  const std::uint64_t generation = run.generation = ++effect_generation;
  const EffectKey key{run.invocation_id, run.index};
  EffectAttempt attempt;
  attempt.idempotency_key = run.invocation_id + "/" + std::to_string(run.index);
  attempt.attempt = run.attempt;
  if (run.policy.timeout.count() > 0) {
    run.timer = scheduler.schedule_after(run.policy.timeout.count(), [this, key, generation] {
      detail::EffectResult timed_out{true, {}, ""};
      effect_ended(key, generation, std::move(timed_out), true);
    });
  }
  // An attempt's end always arrives as a task of its own on the engine thread: the attempt's
  // frame or worker is never still running inside effect_ended.
  auto ended = [this, post = poster(), key, generation](detail::EffectResult result) {
    // Runs on the engine thread only while the engine is alive (poster), so `this` is valid.
    post([this, key, generation, result = std::move(result)]() mutable {
      effect_ended(key, generation, std::move(result), false);
    });
  };
  if (run.effect.blocking) {
    auto body = run.effect.blocking;
    workers().execute([body = std::move(body), attempt = std::move(attempt), ended]() mutable {
      ended(body(attempt));
    });
    return;
  }
  attempt.post = poster();
  Task<detail::EffectResult> body = run.effect.asynchronous(std::move(attempt));
  run.async_attempt = drive_async_attempt(std::move(body), std::move(ended));
  run.async_attempt.handle().resume();
}

void Engine::Impl::effect_ended(const EffectKey& key, std::uint64_t generation,
                                detail::EffectResult result, bool timed_out) {
  auto it = effects.find(key);
  if (it == effects.end() || it->second->settling || it->second->generation != generation)
    return;  // a stale attempt, or one that ended after the effect had settled
  EffectRun& run = *it->second;
  if (run.timer) scheduler.cancel(run.timer);
  run.timer = 0;
  run.async_attempt = {};  // finished, or timed out: its coroutine goes
  if (!result.retry) return settle_effect(key, std::move(result.outcome));

  std::string reason = timed_out
                           ? "timed out after " + std::to_string(run.policy.timeout.count()) + " ms"
                           : std::move(result.reason);
  if (run.policy.max_attempts > 0 && run.attempt >= run.policy.max_attempts) {
    const ErrorCode code = timed_out ? ErrorCode::kDeadlineExceeded : ErrorCode::kUpstreamFailed;
    detail::StepOutcome failed{true, status_code(code),
                               "effect '" + run.name + "' failed after " +
                                   std::to_string(run.attempt) + " attempts: " + reason};
    return settle_effect(key, std::move(failed));
  }
  auto delay = run.policy.backoff_before(run.attempt + 1);
  spdlog::debug("effect {} of {} attempt {} failed ({}), retrying in {} ms", run.name,
                run.invocation_id, run.attempt, reason, delay);
  run.timer = scheduler.schedule_after(delay, [this, key] {
    auto again = effects.find(key);
    if (again == effects.end()) return;
    again->second->timer = 0;
    launch_effect(*again->second);
  });
}

// The effect has ended for good: its outcome becomes durable, then the step is done. Until then
// the run stays, settling, so that a replay meeting the step (after an unload, a pause, a retry)
// does not start the effect again.
void Engine::Impl::settle_effect(const EffectKey& key, detail::StepOutcome outcome) {
  Invocation* inv = find(key.first);
  if (!inv || inv->completing) {  // it finished (or was killed) without waiting for this
    effects.erase(key);
    return;
  }
  EffectRun& run = *effects.at(key);
  run.settling = true;
  std::vector<store::RowWrite> rows = record_effect(run, outcome);
  Write w{Write::Op::kCompleteStep,
          {},
          {},
          {key.second, outcome.failed, outcome.error_code, outcome.value}};
  w.invocation.id = key.first;
  std::string audit = audit_line(*inv, inv->journal.at(key.second));
  if (rows.empty()) {
    write(std::move(w), std::move(audit));
  } else {
    // E2: the completion and the rows it decided commit in one transaction.
    write_together(std::move(w), Write{Write::Op::kRows, {}, {}, {}, std::move(rows)},
                   std::move(audit));
  }
  auto done = [this, key, outcome = std::move(outcome)]() mutable {
    effects.erase(key);
    complete_step(key.first, key.second, std::move(outcome));
  };
  after_durable(std::move(done));
}

// A recorded effect's rows for its final outcome (E2). `record` must not throw: if it does (or
// writes to a table no domain registered), no row is written and the step fails with an internal
// error, so the handler does not go on as if the outcome had been recorded.
std::vector<store::RowWrite> Engine::Impl::record_effect(EffectRun& run,
                                                         detail::StepOutcome& outcome) {
  if (!run.effect.record) return {};
  try {
    auto rows = run.effect.record(outcome);
    check_tables(rows);
    return rows;
  } catch (const std::exception& e) {
    spdlog::error("effect {} of {}: recording its outcome failed: {}", run.name, run.invocation_id,
                  e.what());
    auto failed = Error::of(ErrorCode::kInternal,
                            "effect '" + run.name + "' ended but recording it failed: " + e.what(),
                            "effect_record_failed");
    outcome = {true, failed.status, failed.encode()};
    return {};
  }
}

// The invocation is finishing (returned, failed, killed): its effects stop. A blocking attempt
// still running cannot be stopped, and its end finds nothing.
void Engine::Impl::drop_effects(const std::string& invocation_id) {
  auto it = effects.lower_bound({invocation_id, 0});
  while (it != effects.end() && it->first.first == invocation_id) {
    if (it->second->timer) scheduler.cancel(it->second->timer);
    it = effects.erase(it);
  }
}

}  // namespace orderd
