#include "engine/engine_internal.hpp"

// Starting invocations and handing out their outcomes.

namespace orderd {
namespace {

// A caller's idempotency key is recorded as principal + '\x1f' + key, anonymous ones as sent.
// The record has no principal of its own: folded into its key, every use of the record's key
// (the in-memory slot, the store's idempotency row, purge, the sweep, recovery) is scoped by
// principal as it is. 0x1F cannot arrive in an HTTP header, so no client's key can spell
// another caller's.
// A caller's key is stored as principal + 0x1F + key. A key that itself holds 0x1F could pose
// as another caller's: it is refused (invoke) or finds nothing (lookups).
constexpr char kScopeSeparator = '\x1f';

std::string scoped_key(const std::string& principal, std::string key) {
  return principal.empty() ? key : principal + kScopeSeparator + key;
}

}  // namespace

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
  } else if (!request.idempotency_key.empty()) {
    if (request.idempotency_key.find(kScopeSeparator) != std::string::npos)
      throw std::invalid_argument("an idempotency key may not contain control characters");
    request.idempotency_key = scoped_key(request.principal, std::move(request.idempotency_key));
  }

  if (!request.idempotency_key.empty()) {
    if (auto existing = impl.find_idempotent(
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
        // A workflow's run is invoked once per key: a second call is kAlreadyInvoked, unless
        // the workflow attaches a call with the run's own input (Registry::attach_same_input).
        const bool attaches = workflow_run && entry->attach_same_input;
        if (workflow_run && !attaches && on_done)
          return {InvokeDisposition::kAlreadyInvoked, *existing, 0};
        if ((!workflow_run || attaches) && record->input != request.input)
          return {InvokeDisposition::kKeyReusedWithOtherInput, *existing, 0};
        InvokeResult result{InvokeDisposition::kExisting, *existing, record->execute_at_ms};
        if (on_done && stored && store::is_finished(stored->status)) {
          on_done(impl.outcome_of(*stored));  // already read: no second lookup
        } else if (on_done) {
          bool known = false;
          result.waiter = attach_waiter(*existing, std::move(on_done), known);
        }
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
  record.principal = std::move(request.principal);
  record.traceparent = std::move(request.traceparent);
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
  const auto& r = inv.record;
  if (!r.idempotency_key.empty()) impl.idempotent_running[Impl::idempotency_slot(r)] = r.id;
  InvokeResult result{InvokeDisposition::kStarted, r.id, r.execute_at_ms};
  if (on_done) {
    result.waiter = ++impl.last_waiter;
    inv.waiters.emplace_back(result.waiter, std::move(on_done));
  }
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
                                                   const std::string& key,
                                                   const std::string& principal) {
  if (key.find(kScopeSeparator) != std::string::npos) return std::nullopt;
  return impl_->find_idempotent(target, scoped_key(principal, key));
}

void Engine::flush() {
  impl_->flush();
}

void Engine::after_durable(UniqueFunction<void()> then) {
  impl_->after_durable(std::move(then));
}

std::optional<std::string> Engine::service_of(const std::string& invocation_id) {
  if (const Invocation* inv = impl_->find(invocation_id)) return inv->record.service;
  auto record = impl_->store.find_invocation(invocation_id);
  if (!record) return std::nullopt;
  return std::move(record->service);
}

std::optional<Engine::Origin> Engine::origin_of(const std::string& invocation_id) {
  if (const Invocation* inv = impl_->find(invocation_id))
    return Origin{inv->record.service, inv->record.principal, inv->record.handler};
  auto record = impl_->store.find_invocation(invocation_id);
  if (!record) return std::nullopt;
  return Origin{std::move(record->service), std::move(record->principal),
                std::move(record->handler)};
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
  bool known = false;
  attach_waiter(invocation_id, std::move(on_done), known);
  return known;
}

WaiterId Engine::attach_waiter(const std::string& invocation_id, OutcomeCallback on_done,
                               bool& known) {
  known = true;
  if (auto* inv = impl_->find(invocation_id)) {
    const WaiterId id = ++impl_->last_waiter;
    inv->waiters.emplace_back(id, std::move(on_done));
    return id;
  }
  InvocationOutcome outcome;
  if (output(invocation_id, outcome) != Lookup::kDone) {
    known = false;
    return 0;
  }
  on_done(std::move(outcome));
  return 0;
}

void Engine::detach(const std::string& invocation_id, WaiterId waiter) {
  Invocation* inv = waiter ? impl_->find(invocation_id) : nullptr;
  if (!inv) return;
  auto& waiters = inv->waiters;
  waiters.erase(std::remove_if(waiters.begin(), waiters.end(),
                               [waiter](const auto& w) { return w.first == waiter; }),
                waiters.end());
}

std::size_t Engine::in_flight() const {
  return impl_->invocations.size();
}

std::size_t Engine::parked() const {
  return impl_->parked_count;
}

std::size_t Engine::scheduled() const {
  return impl_->scheduled_count;
}

std::size_t Engine::parked_of(const std::string& principal) const {
  return Impl::count_of(impl_->parked_by_principal, principal);
}

std::size_t Engine::scheduled_of(const std::string& principal) const {
  return Impl::count_of(impl_->scheduled_by_principal, principal);
}

std::size_t Engine::counted_principals() const {
  return impl_->parked_by_principal.size() + impl_->scheduled_by_principal.size();
}

std::size_t Engine::active() const {
  return impl_->invocations.size() - impl_->parked_count - impl_->scheduled_count;
}

std::size_t Engine::unloaded() const {
  return impl_->unloaded_count;
}

std::size_t Engine::waiting_callers() const {
  std::size_t n = 0;
  for (const auto& [id, inv] : impl_->invocations) n += inv->waiters.size();
  return n;
}

void Engine::release_waiting_callers(std::uint16_t code, const std::string& message) {
  std::vector<std::pair<std::string, Engine::OutcomeCallback>> released;
  for (auto& [id, inv] : impl_->invocations) {
    for (auto& [waiter_id, waiter] : inv->waiters) released.emplace_back(id, std::move(waiter));
    inv->waiters.clear();
  }
  for (auto& [id, waiter] : released) {
    Error unavailable{error_code_from_status(code), code, {}, message + id, {}};
    waiter({id, false, code, message + id, 0, std::move(unavailable)});
  }
}

}  // namespace orderd
