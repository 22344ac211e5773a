#pragma once
// The payment steps a saga takes, over the engine's Context, for any owner (an order, a trip):
// the desk holds the ledger, the gateway (behind its circuit breaker) and how each operation is
// retried. Every gateway operation goes out as a recorded effect, so its outcome and its ledger
// record commit together (P2 of payment_ledger.hpp), and it starts only once the step that
// decided it is durable (E1, engine/effects.cpp).
//
//   auto decided = desk.decide_authorization(ctx, owner, method, amount, currency);  // a step
//   Future<GatewayReply> authorizing = desk.send(ctx, "authorize", decided,
//   desk.authorize_policy());
//   ...
//   Task<Settled> settling = desk.settle(ctx, owner);  // void or refund what is owed, P3
#include <cstdint>
#include <memory>
#include <string>

#include "engine/context.hpp"
#include "payments/breaking_gateway.hpp"
#include "payments/circuit_breaker.hpp"
#include "payments/mock_gateway.hpp"
#include "payments/payment_ledger.hpp"

namespace orderd {
class Engine;
class Scheduler;
namespace store {
class Store;
}
}  // namespace orderd

namespace orderd::payments {

struct DeskOptions {
  MockGatewayOptions gateway;
  BreakerOptions breaker;
  LedgerOptions ledger;
  // Each gateway attempt's limit; attempts an authorization gets before its owner fails
  // (payment_unavailable). Captures, voids and refunds retry a missing answer until one comes.
  std::int64_t timeout_ms = 2000;
  std::uint32_t authorize_attempts = 4;
};

// How the owner's money ended after settle(): what compensation_for owed and what became of it.
struct Settled {
  PaymentStatus status = PaymentStatus::kIntended;  // the payment's status at the end
  bool operator==(const Settled&) const = default;
};

class PaymentDesk {
 public:
  explicit PaymentDesk(DeskOptions options);
  // The engine its durable reads go through (recall), and the clock the mock gateway's
  // latency, the breaker and the records run on; again after a test's restart (the mock's
  // operations are kept: they are the outside world).
  void attach(Engine& engine, Scheduler& scheduler);
  // Rebuilds the ledger from its rows: the payments not settled (PaymentLedger::forget).
  void load(store::Store& store);
  // Memory holds the payments in flight: a settled one is forgotten once its owner is done
  // with it (forget), and read back from its durable row when it is needed again (recall,
  // e.g. the refund of a confirmed order's capture). Both on the engine thread.
  void forget(const std::string& owner) { ledger_.forget(owner); }
  void recall(const std::string& owner);

  PaymentLedger& ledger() { return ledger_; }
  const PaymentLedger& ledger() const { return ledger_; }
  const std::shared_ptr<MockGateway>& mock() const { return mock_; }
  BreakerStatus breaker_status() const;
  bool supports(const std::string& method) const { return mock_->supports(method); }

  RunPolicy authorize_policy() const;
  RunPolicy settle_policy() const;  // captures, voids, refunds: until an answer comes

  // A step (transact) that stores the owner's intent to pay and decides its authorization;
  // returns the operation to send (journaled: a replay sends the same one).
  GatewayOperation decide_authorization(Context& ctx, const std::string& owner,
                                        const std::string& method, std::int64_t amount,
                                        const std::string& currency);
  // A step deciding the capture of the owner's authorization.
  GatewayOperation decide_capture(Context& ctx, const std::string& owner);
  // Sends `op` as a recorded effect: its outcome is recorded in the ledger in the effect's own
  // commit. Await the future as any effect's.
  Future<GatewayReply> send(Context& ctx, std::string_view step, const GatewayOperation& op,
                            const RunPolicy& policy);
  // Voids or refunds whatever the owner still owes (compensation_for), again under the next
  // round's key after each refusal with backoff, until nothing is owed or the payment needs an
  // operator (P3). Each decision is a journaled step. Safe to start from any invocation (the
  // saga, the reclaim, an operator's retry): keys are the owner's, so the gateway acts once.
  Task<Settled> settle(Context& ctx, std::string owner);

 private:
  DeskOptions options_;
  PaymentLedger ledger_;
  std::shared_ptr<MockGateway> mock_;
  std::shared_ptr<CircuitBreaker> breaker_;
  std::shared_ptr<PaymentGateway> gateway_;
  Scheduler* scheduler_ = nullptr;
  Engine* engine_ = nullptr;
};

}  // namespace orderd::payments
