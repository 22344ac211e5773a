#pragma once
// How an order follows its payment: the owner its payment is kept under in the payment ledger
// (payments/payment_ledger.hpp), what the ledger says the money became, and the order's
// payment_status moved along to it (O3, order_state.hpp) with the events of each state passed.
// Used by every step that settles an order's money: the saga's confirm and unwind, the cancel,
// the reclaim (R1) and an operator's retry (payment_retry.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "commerce/orders/order.hpp"
#include "engine/context.hpp"
#include "engine/write_set.hpp"
#include "payments/payment.hpp"

namespace orderd::payments {
class PaymentLedger;
}

namespace orderd::commerce {

class OrderBook;

// "order:<id>": the owner an order's payment is kept under.
std::string payment_owner(const std::string& order_id);
// The order a payment owner names; nullopt for an owner that is not an order's (a trip).
std::optional<std::string> order_of_payment_owner(std::string_view owner);

// The order events a settling step emits. Live they are written as the order changes; on a
// replay (and when the live run applies the same transition to its own copy) only counted, so
// the order's event_version is the one the live run stored (E2).
class OrderEvents {
 public:
  OrderEvents(const OrderBook& orders, std::int64_t now_ms, WriteSet* writes)
      : orders_(orders), now_ms_(now_ms), writes_(writes) {}
  void operator()(Order& order, std::string_view type);

 private:
  const OrderBook& orders_;
  std::int64_t now_ms_;
  WriteSet* writes_;
};

// The order's payment_status, moved along legal transitions (O3) to what the ledger says its
// money became, from wherever the order is on the way (pending, authorized, captured). A payment
// still owing something, or needing an operator, keeps what the order knew.
void follow_payment(Order& order, payments::PaymentStatus money);

// The events an order's payment_status went through from `before` to where it is now.
void payment_events(Order& order, PaymentStatus before, OrderEvents& emit);

// What the ledger says the owner's money became, journaled (a replay reads the same). A cancel
// met there does not stop it: the settling step after it needs the answer.
payments::PaymentStatus money_of(const payments::PaymentLedger& ledger, Context& ctx,
                                 const std::string& owner);

}  // namespace orderd::commerce
