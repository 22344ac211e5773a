#pragma once
// The order saga (Orders/place) and the cancel of a confirmed order (OrderCancel/{order}/cancel).
//
// place, one durable invocation per order, its steps as `orderctl invocations describe` shows:
//   shipping_quote        the carrier's price (run)
//   reserve               price the basket, hold its stock (or take over a reservation), store
//                         the pending order (transact: all in one commit)
//   authorize ∥ fraud_check   the gateway authorizes (an asynchronous effect, retried) while
//                         the risk is scored
//   record_authorization  the ledger's record and the order's payment status (transact)
//   capture               (effect), then
//   confirm               record the capture, sell the reservation, confirm (transact)
// Any failure, or a cancel, unwinds in reverse: refund (after a capture) or void (after an
// authorization), then `unwind` releases the reservation and stores the failed (or cancelled)
// order, with the payment records, in one commit. Every gateway call is idempotent under its
// effect's key and recorded by exactly one journaled step: P1, P2 (payments/payment.hpp).
#include "commerce/orders/order.hpp"
#include "commerce/requests.hpp"
#include "engine/context.hpp"

namespace orderd::commerce {

class Shop;

Task<Order> place_order(Shop* shop, Context& ctx, PlaceOrder request);
// Refunds a confirmed, unshipped order and puts its units back on hand. A cancelled order is
// answered as it is; any other state is a conflict (order_not_cancellable).
Task<Order> cancel_confirmed_order(Shop* shop, Context& ctx, CancelOrder request);

}  // namespace orderd::commerce
