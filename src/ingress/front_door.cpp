#include "ingress/front_door.hpp"

#include <memory>
#include <utility>

#include "common/durations.hpp"
#include "engine/registry.hpp"
#include "engine/scheduler.hpp"

namespace orderd::http {
namespace {

bool lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// W3C Trace Context: "00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>", ids not all zero.
// Anything else is dropped, as the recommendation says, rather than refused.
bool valid_traceparent(std::string_view t) {
  if (t.size() != 55 || t[2] != '-' || t[35] != '-' || t[52] != '-') return false;
  const auto version = t.substr(0, 2), trace = t.substr(3, 32), parent = t.substr(36, 16),
             flags = t.substr(53, 2);
  if (!lower_hex(version) || version == "ff" || !lower_hex(trace) || !lower_hex(parent) ||
      !lower_hex(flags))
    return false;
  return trace.find_first_not_of('0') != std::string_view::npos &&
         parent.find_first_not_of('0') != std::string_view::npos;
}

ApiError invalid(std::string message, std::string reason) {
  return ApiError{ErrorCode::kInvalidArgument, std::move(message), std::move(reason)};
}

ApiError retry_later(std::string message, std::string reason) {
  ApiError e{ErrorCode::kUnavailable, std::move(message), std::move(reason)};
  e.headers.emplace_back("retry-after", "1");
  return e;
}

// A caller past its own quota: 429, so a client tells it from the server's overload (503).
ApiError over_quota(std::string message, std::string reason, std::size_t quota) {
  ApiError e{ErrorCode::kResourceExhausted, std::move(message), std::move(reason)};
  e.extra["quota"] = quota;
  e.headers.emplace_back("retry-after", "1");
  return e;
}

FrontDoor::Reply refused(ApiError error, std::string invocation_id = {}) {
  FrontDoor::Reply reply;
  reply.kind = FrontDoor::Reply::Kind::kRefused;
  reply.refusal = std::move(error);
  reply.invocation_id = std::move(invocation_id);
  return reply;
}

// A workflow that attaches a second call with the same input (Registry::attach_same_input)
// still refuses another input: the run has its input already.
FrontDoor::Reply workflow_input_differs(const std::string& target, const std::string& object_key,
                                        const std::string& invocation_id) {
  return refused(ApiError{ErrorCode::kConflict,
                          "the workflow method was already invoked: " + target + " for key '" +
                              object_key + "', with a different request body",
                          "workflow_already_invoked"},
                 invocation_id);
}

FrontDoor::Reply key_reused(const std::string& invocation_id) {
  return refused(ApiError{ErrorCode::kUnprocessable,
                          "idempotency key was already used with a different request body "
                          "(invocation " +
                              invocation_id + ")",
                          "idempotency_key_reused"},
                 invocation_id);
}

}  // namespace

bool FrontDoor::valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKey) return false;
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

FrontDoor::FrontDoor(Engine& engine, Scheduler& scheduler, const Registry& registry,
                     FrontDoorOptions options)
    : engine_(engine), scheduler_(scheduler), registry_(registry), options_(options) {}

std::optional<std::int64_t> FrontDoor::deadline(const RouteRequest& request,
                                                std::int64_t route_wait_ms,
                                                ApiError& refusal) const {
  const std::string* header = request.header("request-timeout");
  if (!header) return route_wait_ms;
  auto ms = durations::parse_ms(*header);
  if (!ms || *ms <= 0) {
    refusal = invalid("Request-Timeout '" + header->substr(0, 64) +
                          "' is not a positive duration like 2s, 500ms or PT2S",
                      "invalid_request_timeout");
    return std::nullopt;
  }
  return route_wait_ms == 0 ? *ms : std::min(route_wait_ms, *ms);
}

std::optional<ApiError> FrontDoor::check_key(const RouteRequest& request,
                                             const HandlerEntry& entry) const {
  const std::string* key = request.idempotency_key();
  if (!key) return std::nullopt;
  if (!valid_idempotency_key(*key)) {
    return invalid("idempotency-key must have 1 to " + std::to_string(kMaxIdempotencyKey) +
                       " printable characters",
                   "invalid_idempotency_key");
  }
  if (entry.kind == HandlerEntry::Kind::kWorkflowRun) {
    return invalid("idempotency-key is not supported on workflow '" + entry.service + "''s " +
                       entry.handler + " handler: the workflow id already deduplicates",
                   "invalid_idempotency_key");
  }
  return std::nullopt;
}

// Each bound is its own: a flood of delayed sends fills --max-scheduled and nothing else, so
// orders keep running; parked runs fill --max-parked, except for the shared handlers that
// resolve what they wait for (a workflow's signal must get through to free them).
std::optional<ApiError> FrontDoor::check_bounds(const HandlerEntry& entry, bool scheduled) const {
  if (scheduled) {
    if (engine_.scheduled() < options_.max_scheduled) return std::nullopt;
    return retry_later("overloaded: " + std::to_string(engine_.scheduled()) +
                           " delayed sends are waiting for their time (--max-scheduled); "
                           "retry later",
                       "too_many_scheduled");
  }
  if (engine_.active() >= options_.max_in_flight) {
    return retry_later("overloaded: " + std::to_string(engine_.active()) +
                           " invocations active (--max-inflight); retry later",
                       "overloaded");
  }
  const bool signals = entry.kind == HandlerEntry::Kind::kShared ||
                       entry.kind == HandlerEntry::Kind::kWorkflowShared;
  if (!signals && engine_.parked() >= options_.max_parked) {
    return retry_later("overloaded: " + std::to_string(engine_.parked()) +
                           " invocations parked (--max-parked); retry later",
                       "too_many_parked");
  }
  return std::nullopt;
}

// Q2. A caller's quota is on what it already holds, since a call that will park is not known
// before it runs: a caller holding max_parked_per_caller parked invocations (its children's
// included) starts nothing new until one wakes, but for the shared handlers that resolve what
// they wait for (as --max-parked); one holding max_scheduled_per_caller delayed sends not yet
// due sends no more delayed ones. So a caller may exceed its parked quota by what was running
// when it reached it, never by new work. Only authenticated callers that are not admin have
// quotas: open callers (authentication off: tests, benchmarks, `make run`) and admins none.
std::optional<ApiError> FrontDoor::check_quota(const RouteRequest& request,
                                               const HandlerEntry& entry, bool scheduled) const {
  if (request.caller.open || request.caller.has(auth::Role::kAdmin)) return std::nullopt;
  const std::string& principal = request.principal;
  if (scheduled) {
    const std::size_t held = engine_.scheduled_of(principal);
    if (held < options_.max_scheduled_per_caller) return std::nullopt;
    return over_quota("quota reached: this caller has " + std::to_string(held) +
                          " delayed sends waiting for their time, its quota is " +
                          std::to_string(options_.max_scheduled_per_caller) +
                          " (--quota-scheduled); retry once some are due",
                      "quota_scheduled", options_.max_scheduled_per_caller);
  }
  const bool signals = entry.kind == HandlerEntry::Kind::kShared ||
                       entry.kind == HandlerEntry::Kind::kWorkflowShared;
  if (signals) return std::nullopt;
  const std::size_t held = engine_.parked_of(principal);
  if (held < options_.max_parked_per_caller) return std::nullopt;
  return over_quota("quota reached: this caller has " + std::to_string(held) +
                        " parked invocations, its quota is " +
                        std::to_string(options_.max_parked_per_caller) +
                        " (--quota-parked); retry once some finish",
                    "quota_parked", options_.max_parked_per_caller);
}

void FrontDoor::start(const RouteRequest& request, Start start, Done done) {
  InvokeRequest& invoke = start.invoke;
  const HandlerEntry* entry = registry_.find(invoke.service, invoke.handler);
  if (!entry) {
    return done(refused(ApiError{
        ErrorCode::kNotFound,
        "handler '" + invoke.handler + "' not found on service '" + invoke.service + "'"}));
  }
  ApiError refusal;
  auto wait_ms = deadline(request, start.wait_ms, refusal);
  if (!wait_ms) return done(refused(std::move(refusal)));
  if (auto bad_key = check_key(request, *entry)) return done(refused(std::move(*bad_key)));
  if (start.delay) {
    if (!start.send) return done(refused(invalid("a delay is supported only with sends", "")));
    auto ms = durations::parse_ms(*start.delay);
    if (!ms) {
      return done(refused(invalid(
          "delay '" + start.delay->substr(0, 64) + "' is not a duration like 10s, 500ms or PT10S",
          "invalid_delay")));
    }
    if (*ms > options_.max_delay_ms) {
      return done(refused(invalid("delay '" + start.delay->substr(0, 64) + "' is above " +
                                      std::to_string(options_.max_delay_ms) + " ms (--max-delay)",
                                  "delay_too_long")));
    }
    invoke.delay_ms = *ms;
  }
  // Who calls, always (not only with a key): the invocation records it for its handler.
  invoke.principal = request.principal;
  if (const std::string* trace = request.traceparent(); trace && valid_traceparent(*trace))
    invoke.traceparent = *trace;
  if (const std::string* key = request.idempotency_key()) invoke.idempotency_key = *key;

  // A retry of a known key is answered from what it names, whatever the load or the caller's
  // quota: refusing it would only make the client retry again. (Looked up only when a bound or
  // a quota is full: the engine looks the key up anyway.)
  const bool delayed = invoke.delay_ms > 0;
  auto full = check_bounds(*entry, delayed);
  if (!full) full = check_quota(request, *entry, delayed);
  if (full) {
    const bool known =
        !invoke.idempotency_key.empty() &&
        engine_.find_idempotent(
            store::idempotency_target(invoke.service, invoke.object_key, invoke.handler),
            invoke.idempotency_key, invoke.principal);
    if (!known) return done(refused(std::move(*full)));
  }

  const bool keyed = !invoke.idempotency_key.empty();
  const bool workflow_run = entry->kind == HandlerEntry::Kind::kWorkflowRun;
  // Named in a refusal once `invoke` has moved into the engine.
  const std::string target = invoke.service + "/" + invoke.handler;
  const std::string object_key = invoke.object_key;
  if (start.send) {
    // Answered once the creation is durable: the engine calls `accepted` then (an existing
    // invocation's too). Set once invoke returns, read when the acceptance fires (always later).
    auto shared = std::make_shared<Done>(std::move(done));
    auto result = std::make_shared<InvokeResult>();
    auto accepted = [shared, result](const std::string& id) {
      Reply reply;
      reply.kind = Reply::Kind::kAccepted;
      reply.invocation_id = id;
      reply.previously = result->disposition == InvokeDisposition::kExisting;
      reply.execute_at_ms = result->execute_at_ms;
      (*shared)(std::move(reply));
    };
    *result = engine_.invoke(std::move(invoke), {}, std::move(accepted));
    if (result->disposition == InvokeDisposition::kKeyReusedWithOtherInput) {
      refuse_when_durable(workflow_run
                              ? workflow_input_differs(target, object_key, result->invocation_id)
                              : key_reused(result->invocation_id),
                          std::move(*shared));
    }
    return;
  }

  InvokeResult result = engine_.invoke(std::move(invoke), {});
  switch (result.disposition) {
    case InvokeDisposition::kStarted:
      return wait(request, result.invocation_id, *wait_ms, false, std::move(done));
    case InvokeDisposition::kKeyReusedWithOtherInput:
      return refuse_when_durable(
          workflow_run ? workflow_input_differs(target, object_key, result.invocation_id)
                       : key_reused(result.invocation_id),
          std::move(done));
    case InvokeDisposition::kAlreadyInvoked:
    case InvokeDisposition::kExisting:
      break;
  }
  // A workflow's run executes once per id: a second call is a conflict (Restate's answer), a
  // second send was accepted above. A workflow that attaches on the same input answers the run's
  // outcome instead, as to the first caller (the engine refused another input above).
  if (workflow_run && !entry->attach_same_input) {
    return refuse_when_durable(refused(ApiError{ErrorCode::kConflict,
                                                "the workflow method was already invoked: " +
                                                    target + " for key '" + object_key + "'",
                                                "workflow_already_invoked"},
                                       result.invocation_id),
                               std::move(done));
  }
  InvocationOutcome outcome;
  const bool finished = engine_.output(result.invocation_id, outcome) == Engine::Lookup::kDone;
  if (!finished && keyed && request.family == RouteFamily::kApi) {
    ApiError in_use{ErrorCode::kConflict,
                    "a request with this Idempotency-Key is still being processed",
                    "idempotency_key_in_use"};
    in_use.headers.emplace_back("retry-after", "1");
    return refuse_when_durable(refused(std::move(in_use), result.invocation_id), std::move(done));
  }
  // The key names an earlier invocation: its outcome now or when it comes, once it is durable.
  wait(request, result.invocation_id, *wait_ms, keyed, std::move(done));
}

void FrontDoor::attach(const RouteRequest& request, const std::string& invocation_id,
                       std::int64_t wait_ms, Done done) {
  ApiError refusal;
  auto deadline_ms = deadline(request, wait_ms, refusal);
  if (!deadline_ms) return done(refused(std::move(refusal)));
  wait(request, invocation_id, *deadline_ms, false, std::move(done));
}

// Whichever comes first answers: the outcome, the deadline, or the client's hang-up (which
// answers nobody). Whatever answers takes the others down: the engine's waiter, the timer.
void FrontDoor::wait(const RouteRequest& request, const std::string& invocation_id,
                     std::int64_t wait_ms, bool replayed, Done done) {
  struct Race {
    Done done;
    bool over = false;
    WaiterId waiter = 0;
    Scheduler::TimerId timer = 0;
  };
  auto race = std::make_shared<Race>();
  race->done = std::move(done);
  Scheduler& scheduler = scheduler_;
  auto on_outcome = [race, &scheduler, replayed](InvocationOutcome outcome) {
    if (std::exchange(race->over, true)) return;
    if (race->timer) scheduler.cancel(race->timer);
    Reply reply;
    reply.kind = replayed ? Reply::Kind::kReplayed : Reply::Kind::kDone;
    reply.invocation_id = outcome.invocation_id;
    reply.outcome = std::move(outcome);
    Done answer = std::move(race->done);
    answer(std::move(reply));
  };
  bool known = false;
  race->waiter = engine_.attach_waiter(invocation_id, std::move(on_outcome), known);
  if (race->over) return;  // it had finished: answered at once
  if (!known) {
    race->over = true;
    Done answer = std::move(race->done);
    return answer(refused(ApiError{ErrorCode::kNotFound, "invocation not found"}));
  }
  Engine& engine = engine_;
  if (wait_ms > 0) {
    auto expire = [race, &engine, invocation_id] {
      if (std::exchange(race->over, true)) return;
      race->timer = 0;
      engine.detach(invocation_id, race->waiter);
      Reply running;
      running.kind = Reply::Kind::kStillRunning;
      running.invocation_id = invocation_id;
      Done answer = std::move(race->done);
      // It names the invocation, whose creation may still be on its way to the disk.
      auto when_durable = [answer = std::move(answer), running = std::move(running)]() mutable {
        answer(std::move(running));
      };
      engine.after_durable(std::move(when_durable));
    };
    race->timer = scheduler.schedule_after(wait_ms, std::move(expire));
  }
  auto hung_up = [race, &engine, &scheduler, invocation_id] {
    if (std::exchange(race->over, true)) return;
    if (race->timer) scheduler.cancel(race->timer);
    engine.detach(invocation_id, race->waiter);
    race->done = {};  // holds the connection's responder: let it go now
  };
  request.on_hangup(std::move(hung_up));
}

void FrontDoor::refuse_when_durable(Reply reply, Done done) {
  // The refusal names an invocation that may still be on its way to the disk: a crash before it
  // lands would make the answer a lie, and a client told "already done" would not retry.
  auto answer = [reply = std::move(reply), done = std::move(done)]() mutable {
    done(std::move(reply));
  };
  engine_.after_durable(std::move(answer));
}

}  // namespace orderd::http
