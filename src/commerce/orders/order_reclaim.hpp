#pragma once
// What an order's saga left behind when it ended without settling it (an operator killed it:
// no compensation ran) or was purged: units held for the order, an authorization or a capture
// at the gateway.
//
// R1. Every order whose saga has ended (or is unknown: purged) while its units are held or its
//     payment may hold money (PaymentLedger::open_owners) gets one reclaim invocation
//     (OrderReclaim/{order}/reclaim, exclusive per order): it voids or refunds what the ledger
//     says is owed under the owner's gateway keys (void/order:<id>, refund/order:<id>), releases
//     the units and stores the order failed (order_killed). It works from the held rows and the
//     ledger, never from the saga's journal, so a purge cannot strand anything; and purging a
//     saga whose order still holds either is refused until the reclaim has run (purge_refusal).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "common/error.hpp"

namespace orderd {
class Engine;
class Scheduler;
namespace store {
struct InvocationRecord;
}
}  // namespace orderd

namespace orderd::payments {
class PaymentDesk;
}

namespace orderd::commerce {

class OrderBook;
class Stock;

class OrderReclaim {
 public:
  OrderReclaim(Stock& stock, OrderBook& orders, payments::PaymentDesk& payments)
      : stock_(stock), orders_(orders), payments_(payments) {}
  ~OrderReclaim();
  OrderReclaim(const OrderReclaim&) = delete;
  OrderReclaim& operator=(const OrderReclaim&) = delete;
  // The engine it asks about sagas and starts reclaims in, and its clock; again after a test's
  // restart (a timer of an earlier scheduler is gone with it). Registers the purge guard.
  void attach(Engine& engine, Scheduler& scheduler);

  // Starts a reclaim for every order R1 finds now that has none running; returns how many.
  std::size_t run();
  // Runs every `interval_ms` on the engine thread (serve starts it).
  void every(std::int64_t interval_ms);
  // Orders whose reclaim is running.
  std::size_t running() const { return running_.size(); }

  // Why the saga `record` may not be purged yet (conflict, order_not_settled); nullopt if it may.
  std::optional<Error> purge_refusal(const store::InvocationRecord& record) const;

 private:
  // True when the order's saga can no longer settle what it holds.
  bool abandoned(const std::string& order_id) const;
  bool holds_units(const std::string& order_id) const;
  bool holds_money(const std::string& order_id) const;

  Stock& stock_;
  OrderBook& orders_;
  payments::PaymentDesk& payments_;
  Engine* engine_ = nullptr;
  Scheduler* scheduler_ = nullptr;
  std::uint64_t timer_ = 0;
  std::set<std::string> running_;  // order ids
};

}  // namespace orderd::commerce
