#include "payments/payment_desk.hpp"

#include <spdlog/spdlog.h>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "common/json_fields.hpp"
#include "engine/engine.hpp"
#include "engine/scheduler.hpp"
#include "store/store.hpp"

namespace orderd::payments {
namespace {

// What settle() decided at one pass, journaled so a replay takes the same path whatever the
// ledger's memory says by then.
struct Owed {
  std::string action;  // none, send, await_operator
  GatewayOperation operation;
  std::int64_t backoff_ms = 0;
  std::string status;  // the payment's, when nothing is to be sent
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Owed& o) {
  v = {{"action", o.action},
       {"operation", boost::json::value_from(o.operation)},
       {"backoff_ms", o.backoff_ms},
       {"status", o.status}};
}

Owed tag_invoke(boost::json::value_to_tag<Owed>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "action"),
          boost::json::value_to<GatewayOperation>(o.at("operation")),
          json::require_integer(o, "backoff_ms"), json::require_string(o, "status")};
}

template <class T>
T or_throw(std::variant<T, Error> decided) {
  if (auto* error = std::get_if<Error>(&decided)) throw TerminalError(std::move(*error));
  return std::get<T>(std::move(decided));
}

}  // namespace

PaymentDesk::PaymentDesk(DeskOptions options)
    : options_(options),
      ledger_(options.ledger),
      breaker_(std::make_shared<CircuitBreaker>(options.breaker)) {}

void PaymentDesk::recall(const std::string& owner) {
  if (ledger_.payment(owner) || !engine_) return;
  if (auto row = engine_->read_row(PaymentLedger::kPaymentsTable, owner)) ledger_.load(owner, *row);
}

void PaymentDesk::attach(Engine& engine, Scheduler& scheduler) {
  engine_ = &engine;
  // The mock stands for the outside world: it outlives a test's restart, as a processor
  // outlives orderd's crashes, and keeps what it did.
  if (!mock_)
    mock_ = std::make_shared<MockGateway>(scheduler, options_.gateway);
  else
    mock_->rebind(scheduler);
  gateway_ = std::make_shared<BreakingGateway>(mock_, breaker_, scheduler);
  scheduler_ = &scheduler;
}

void PaymentDesk::load(store::Store& store) {
  ledger_ = PaymentLedger(options_.ledger);
  std::string from;
  for (;;) {
    std::vector<store::Row> rows =
        store.scan_rows({PaymentLedger::kPaymentsTable, from, "", 10'000, false});
    for (const auto& row : rows) {
      ledger_.load(row.key, row.value);
      ledger_.forget(row.key);  // settled: read back when needed (recall)
    }
    if (rows.size() < 10'000) return;
    from = rows.back().key;
    from.push_back('\0');
  }
}

BreakerStatus PaymentDesk::breaker_status() const {
  return breaker_->status(scheduler_ ? scheduler_->now_ms() : 0);
}

RunPolicy PaymentDesk::authorize_policy() const {
  RunPolicy policy;
  policy.timeout = std::chrono::milliseconds(options_.timeout_ms);
  policy.max_attempts = options_.authorize_attempts;
  policy.initial_backoff = std::chrono::milliseconds(50);
  policy.max_backoff = std::chrono::milliseconds(2000);
  return policy;
}

RunPolicy PaymentDesk::settle_policy() const {
  RunPolicy policy = authorize_policy();
  policy.max_attempts = 0;
  return policy;
}

GatewayOperation PaymentDesk::decide_authorization(Context& ctx, const std::string& owner,
                                                   const std::string& method, std::int64_t amount,
                                                   const std::string& currency) {
  return ctx.transact("decide_payment", [&](WriteSet& writes) {
    const std::int64_t now = ctx.clock_ms();
    or_throw(ledger_.intend(owner, method, amount, currency, now, writes));
    return or_throw(ledger_.authorize(owner, now, writes));
  });
}

GatewayOperation PaymentDesk::decide_capture(Context& ctx, const std::string& owner) {
  return ctx.run("decide_capture", [&] { return or_throw(ledger_.capture(owner)); });
}

Future<GatewayReply> PaymentDesk::send(Context& ctx, std::string_view step,
                                       const GatewayOperation& op, const RunPolicy& policy) {
  auto gateway = gateway_;
  auto call = [gateway, op](const EffectAttempt& attempt) {
    return call_gateway(gateway, op, attempt);
  };
  // Runs when the effect has ended for good, in its commit; never on a replay (E2).
  PaymentLedger* ledger = &ledger_;
  Scheduler* clock = scheduler_;
  auto record = [ledger, clock, op](const Result<GatewayReply>& reply, WriteSet& writes) {
    auto recorded = ledger->record(op, reply, clock->now_ms(), writes);
    if (auto* error = std::get_if<Error>(&recorded))  // a bug: the ledger refused its own op
      spdlog::error("payment {} of {} not recorded: {}", to_string(op.type), op.owner,
                    error->message);
  };
  return ctx.run_async_recorded(step, std::move(call), policy, std::move(record));
}

// A cancel met while settling does not stop it: what is owed is owed whoever asks to stop.
template <class Step>
auto through_cancel(Step step) {
  for (;;) {
    try {
      return step();
    } catch (const TerminalError& e) {
      if (e.category() != ErrorCode::kCancelled) throw;
    }
  }
}

Task<Settled> PaymentDesk::settle(Context& ctx, std::string owner) {
  recall(owner);  // a settled capture owed back (a confirmed order cancelled) is read back
  for (;;) {
    Owed owed = through_cancel([&] {
      return ctx.run("owed", [&] {
        Owed o;
        const Compensation c = ledger_.compensation_for(owner);
        const Payment* p = ledger_.payment(owner);
        o.status = p ? std::string(to_string(p->status)) : "intended";
        if (c.action == Compensation::Action::kVoid || c.action == Compensation::Action::kRefund) {
          o.action = "send";
          o.operation = c.operation;
        } else {
          o.action = c.action == Compensation::Action::kAwaitOperator ? "await_operator" : "none";
        }
        o.backoff_ms = ledger_.compensation_backoff(owner).count();
        return o;
      });
    });
    if (owed.action != "send") {
      co_return Settled{payment_status_from_string(owed.status).value_or(PaymentStatus::kIntended)};
    }
    const std::string step(to_string(owed.operation.type));
    Future<GatewayReply> sending =
        through_cancel([&] { return send(ctx, step, owed.operation, settle_policy()); });
    Result<GatewayReply> reply = Error::of(ErrorCode::kCancelled, "cancelled");
    while (!reply && reply.error().code == ErrorCode::kCancelled) {
      auto settling = sending.settle();
      reply = co_await settling;
    }
    if (reply && reply->succeeded()) continue;                   // the next pass finds nothing owed
    if (reply && reply->reason == "already_captured") continue;  // a refund is owed instead
    // P3: refused; the ledger counted it. Wait before the next round.
    Future<void> pause =
        through_cancel([&] { return ctx.sleep(std::chrono::milliseconds(owed.backoff_ms)); });
    try {
      co_await pause;
    } catch (const TerminalError& e) {
      if (e.category() != ErrorCode::kCancelled) throw;
    }
  }
}

}  // namespace orderd::payments
