#pragma once
// The order saga (Orders/place) and the cancel of a confirmed order (OrderCancel/{order}/cancel).
//
// place, one durable invocation per order, its steps as `orderctl invocations describe` shows:
//   shipping_quote        the carrier's price (run)
//   reserve               price the basket, hold its stock (or take over a reservation), store
//                         the pending order (transact: all in one commit)
//   authorize ∥ fraud_check   the gateway authorizes (an asynchronous effect, retried) while
//                         the risk is scored
//   capture               (effect), then
//   confirm               record the payments, sell the reservation, confirm (transact)
// Any failure, or a cancel, unwinds in reverse: refund (after a capture) or void (after an
// authorization), then `unwind` records the payments, releases the reservation and stores the
// failed (or cancelled) order, in one commit. Every gateway call is idempotent under its
// effect's key, its answer journaled, and recorded in the ledger by exactly one journaled step:
// P1, P2 (payments/payment.hpp). The order is stored twice: pending, then settled (O1).
#include "commerce/orders/order.hpp"
#include "commerce/requests.hpp"
#include "engine/context.hpp"

namespace orderd::commerce {

class Shop;

Task<Order> place_order(Shop* shop, Context& ctx, PlaceOrder request);
// Refunds a confirmed, unshipped order and puts its units back on hand. A cancelled order is
// answered as it is; any other state is a conflict (order_not_cancellable).
Task<Order> cancel_confirmed_order(Shop* shop, Context& ctx, CancelOrder request);
// R1 (order_reclaim.hpp): voids or refunds what the order's payment owes, releases its units and
// stores it failed (order_killed) unless it had ended. Keyed by the order; exclusive.
Task<Order> reclaim_order(Shop* shop, Context& ctx, ReclaimOrder request);

}  // namespace orderd::commerce
