#include "commerce/orders/order_saga.hpp"

#include <optional>
#include <vector>

#include "commerce/fraud/risk.hpp"
#include "commerce/orders/order_payment.hpp"
#include "commerce/shipping/quote.hpp"
#include "commerce/shop.hpp"
#include "engine/compensations.hpp"
#include "payments/breaking_gateway.hpp"

namespace orderd::commerce {
namespace {

Error cancelled_error(const std::string& why = "the order was cancelled") {
  return Error::of(ErrorCode::kCancelled, why, "order_cancelled");
}

bool is_cancel(const TerminalError& e) {
  return e.category() == ErrorCode::kCancelled;
}

// Runs a step that must happen. A cancel met there is noted and the step run again (the cancel
// came before it, so it did not run): the unwind that follows needs what it decides.
template <class Step>
void through_cancel(bool& cancelled, Step step) {
  for (;;) {
    try {
      step();
      return;
    } catch (const TerminalError& e) {
      if (!is_cancel(e)) throw;
      cancelled = true;
    }
  }
}

// Starts a step only while not cancelled; a cancel met there is noted and the step skipped.
template <class Step>
bool unless_cancelled(bool& cancelled, Step step) {
  if (cancelled) return false;
  try {
    step();
    return true;
  } catch (const TerminalError& e) {
    if (!is_cancel(e)) throw;
    cancelled = true;
    return false;
  }
}

bool same_basket(std::vector<BasketItem> a, std::vector<BasketItem> b) {
  auto by_product = [](const BasketItem& x, const BasketItem& y) {
    return x.product_id < y.product_id;
  };
  std::sort(a.begin(), a.end(), by_product);
  std::sort(b.begin(), b.end(), by_product);
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].product_id != b[i].product_id || a[i].quantity != b[i].quantity) return false;
  return true;
}

// The reserve step: the order priced and its stock held, stored pending; or stored failed with
// the reason it cannot go on. Memory changes only when the stock is held.
Order open_order(Shop& shop, const PlaceOrder& in, const std::string& order_id,
                 const ShippingQuote& quote, std::int64_t created_at_ms, std::int64_t now_ms,
                 WriteSet& writes) {
  Order order;
  order.id = order_id;
  order.user_id = in.user_id;
  order.payment_method = in.payment_method;
  order.currency = in.currency;
  order.shipping = quote;
  order.created_at_ms = created_at_ms;
  order.updated_at_ms = std::max(created_at_ms, now_ms);
  auto refuse = [&](const Error& why) {
    order.version = 0;  // fail() counts the failure as the order's first version
    fail(order, why, now_ms);
    shop.orders.order_event(order, "order.failed", now_ms, writes);
    shop.orders.write_order(order, std::nullopt, writes);
    return order;
  };

  // The API validated all this; a direct call (POST /Orders/place) may not have.
  if (!shop.payments.supports(in.payment_method)) {
    return refuse(Error::of(ErrorCode::kInvalidArgument,
                            "payment_method must be mock, mock_declined or mock_flaky",
                            "unsupported_payment_method"));
  }
  if (in.items.empty() && in.reservation_id.empty()) {
    return refuse(Error::of(ErrorCode::kInvalidArgument, "the basket is empty", "empty_basket"));
  }
  auto merged = merge_basket(in.items);
  if (!merged)
    return refuse(Error::of(ErrorCode::kInvalidArgument, "quantity overflows", "invalid_quantity"));
  std::vector<BasketItem> basket = std::move(*merged);
  const Reservation* adopted = nullptr;
  if (!in.reservation_id.empty()) {
    adopted = shop.stock.held(in.reservation_id);
    order.reservation_id = in.reservation_id;
    // A user's reservation is theirs to buy; an anonymous one is anybody's. Another user's is
    // refused exactly as one not held (C3 in commerce/api/customer_scope.hpp): the answer must
    // not tell a customer that someone else holds it.
    const bool others = adopted && adopted->owner.rfind("user:", 0) == 0 &&
                        adopted->owner != reservation_owner(in.user_id);
    if (!adopted || others || (!adopted->order_id.empty() && adopted->order_id != order_id)) {
      return refuse(Error::of(ErrorCode::kConflict,
                              "reservation " + in.reservation_id +
                                  " is not held (expired, released or used by another order)",
                              "reservation_not_held"));
    }
    if (!basket.empty() && !same_basket(basket, adopted->items)) {
      return refuse(Error::of(ErrorCode::kUnprocessable,
                              "items differ from reservation " + in.reservation_id,
                              "reservation_mismatch"));
    }
    basket = adopted->items;
  }

  std::int64_t subtotal = 0;
  for (const auto& item : basket) {
    const Product* product = shop.catalog.product(item.product_id);
    if (!product) {
      return refuse(
          Error::of(ErrorCode::kUnprocessable,
                    "product " + std::to_string(item.product_id) + " is not in the catalog",
                    "unknown_product"));
    }
    if (order.currency.empty()) order.currency = product->currency;
    if (product->currency != order.currency) {
      return refuse(Error::of(ErrorCode::kUnprocessable,
                              "product " + std::to_string(item.product_id) + " is priced in " +
                                  product->currency + ", the order in " + order.currency,
                              "currency_mismatch"));
    }
    std::int64_t amount = 0;
    if (__builtin_mul_overflow(product->unit_price, item.quantity, &amount) ||
        __builtin_add_overflow(subtotal, amount, &subtotal)) {
      return refuse(
          Error::of(ErrorCode::kUnprocessable, "the order's total overflows", "amount_too_large"));
    }
    order.items.push_back(
        {item.product_id, product->sku, product->name, item.quantity, product->unit_price, {}});
  }
  order.subtotal_amount = subtotal;
  if (__builtin_add_overflow(subtotal, quote.cost, &order.total_amount))
    return refuse(
        Error::of(ErrorCode::kUnprocessable, "the order's total overflows", "amount_too_large"));

  std::vector<Allocation> allocations;
  if (adopted) {
    auto taken = shop.stock.adopt(in.reservation_id, order_id, now_ms, writes);
    if (auto* error = std::get_if<Error>(&taken)) return refuse(*error);
    allocations = std::get<Reservation>(taken).allocations;
  } else {
    Reservation want;
    want.id = "res_" + order_id.substr(4);
    want.owner = "order:" + order_id;
    want.order_id = order_id;
    want.items = basket;
    want.created_at_ms = want.updated_at_ms = now_ms;
    auto held = shop.stock.reserve(std::move(want), writes);
    if (auto* error = std::get_if<Error>(&held)) return refuse(*error);
    const Reservation& r = std::get<Reservation>(held);
    order.reservation_id = r.id;
    allocations = r.allocations;
  }
  for (auto& item : order.items)
    for (const auto& a : allocations)
      if (a.product_id == item.product_id) item.allocations.push_back(a);
  shop.orders.order_event(order, "order.created", now_ms, writes);
  shop.orders.write_order(order, std::nullopt, writes);
  return order;
}

// Undo of the reserve step: the order's held units go back (nothing when they were sold or
// released already).
Task<void> release_stock(Shop* shop, Context& ctx, std::string reservation_id) {
  bool cancelled = false;
  through_cancel(cancelled, [&] {
    ctx.transact("release", [&](WriteSet& writes) {
      if (shop->stock.held(reservation_id))
        (void)shop->stock.end_reservation(reservation_id, "released", ctx.clock_ms(), writes);
      return true;
    });
  });
  co_return;
}

// Undo of the authorization: whatever the owner owes is voided or refunded (P2, P3).
Task<void> settle_payment(Shop* shop, Context& ctx, std::string owner) {
  Task<payments::Settled> settling = shop->payments.settle(ctx, std::move(owner));
  payments::Settled settled = co_await std::move(settling);
  (void)settled;
}

}  // namespace

Task<Order> place_order(Shop* shop, Context& ctx, PlaceOrder in) {
  const std::string order_id = order_id_for(ctx.invocation_id());
  const std::string owner = payment_owner(order_id);
  bool cancelled = false;

  ShippingQuote quote;
  through_cancel(cancelled, [&] {
    quote = ctx.run("shipping_quote", [&] {
      // The API capped the basket; a direct call may not have. First, before anything reads or
      // merges it, and inside the first step: its journaled outcome answers a replay, even
      // under another --max-basket-lines.
      if (auto error = shop->stock.refuse_basket_size(in.items.size()))
        throw TerminalError(std::move(*error));
      return quote_shipping(in.destination, in.carrier);
    });
  });
  Order order;
  through_cancel(cancelled, [&] {
    order = ctx.transact("reserve", [&](WriteSet& writes) {
      return open_order(*shop, in, order_id, quote, ctx.created_at_ms(), ctx.clock_ms(), writes);
    });
  });
  if (order.terminal()) co_return order;

  // From here on every step that succeeds registers its undo; a failure or a cancel runs them,
  // last first: the money back, then the stock.
  Compensations undo(ctx);
  const std::string reservation_id = order.reservation_id;
  undo.push("release_stock",
            [shop, reservation_id](Context& c) { return release_stock(shop, c, reservation_id); });

  // The decision to pay is a durable step before the gateway hears of it (E1); the
  // authorization goes out while the risk is scored.
  std::optional<Future<payments::GatewayReply>> authorizing;
  const bool pays = order.total_amount > 0;  // a free order asks nothing of the gateway
  if (pays) {
    unless_cancelled(cancelled, [&] {
      payments::GatewayOperation authorization = shop->payments.decide_authorization(
          ctx, owner, in.payment_method, order.total_amount, order.currency);
      undo.push("settle_payment",
                [shop, owner](Context& c) { return settle_payment(shop, c, owner); });
      authorizing.emplace(
          shop->payments.send(ctx, "authorize", authorization, shop->payments.authorize_policy()));
    });
  }
  RiskVerdict risk;
  through_cancel(cancelled, [&] {
    risk = ctx.run("fraud_check", [&] {
      return assess_risk(order.total_amount, order.currency, shop->options.fraud_reject_above);
    });
  });
  order.risk_score = risk.score;

  std::optional<Error> failure;
  if (authorizing) {
    Result<payments::GatewayReply> reply = Error::of(ErrorCode::kCancelled, "cancelled");
    for (;;) {  // a cancel met while the gateway is out is noted; its answer decides the unwind
      auto settling = authorizing->settle();
      reply = co_await settling;
      if (reply || reply.error().code != ErrorCode::kCancelled) break;
      cancelled = true;
    }
    if (!reply) {
      failure = payments::payment_unavailable(reply.error());
    } else if (!reply->succeeded()) {
      failure = Error::of(ErrorCode::kPaymentRequired, "payment declined: " + reply->message,
                          "payment_declined");
    } else {
      order.payment_reference = reply->reference;
    }
  } else if (pays && !cancelled) {
    failure = Error::of(ErrorCode::kInternal, "the payment was not sent", "payment_not_sent");
  }
  if (!failure && cancelled) failure = cancelled_error();
  if (!failure && risk.rejected) {
    failure = Error::of(ErrorCode::kUnprocessable,
                        "the order's risk score " + std::to_string(risk.score) + " is above " +
                            std::to_string(risk.threshold),
                        "fraud_rejected");
  }

  // The order's settling step: the stock's effect (live only) and the order's transition (live
  // and after, so a replay recomputes the order the live run stored) in one commit.
  auto finish = [&](const char* name, auto effects, auto settle) {
    const std::int64_t at = ctx.transact(name, [&](WriteSet& writes) {
      const std::int64_t now = ctx.clock_ms();
      Order next = order;
      OrderEvents emit(shop->orders, now, &writes);
      settle(next, now, emit);
      shop->orders.write_order(next, order.status, writes);
      // Memory last: nothing after it can throw and leave it changed without the rows.
      if (std::optional<Error> error = effects(now, writes)) throw TerminalError(*error);
      return now;
    });
    OrderEvents count(shop->orders, at, nullptr);
    settle(order, at, count);
  };

  if (!failure) {
    std::optional<Future<payments::GatewayReply>> capturing;
    if (pays)
      unless_cancelled(cancelled, [&] {
        payments::GatewayOperation capture = shop->payments.decide_capture(ctx, owner);
        capturing.emplace(
            shop->payments.send(ctx, "capture", capture, shop->payments.settle_policy()));
      });
    bool captured = !pays && !cancelled;
    if (capturing) {
      Result<payments::GatewayReply> reply = Error::of(ErrorCode::kCancelled, "cancelled");
      for (;;) {
        auto settling = capturing->settle();
        reply = co_await settling;
        if (reply || reply.error().code != ErrorCode::kCancelled) break;
        cancelled = true;
      }
      captured = reply && reply->succeeded();
      if (!captured) {
        failure = Error::of(ErrorCode::kUpstreamFailed,
                            "the payment could not be captured: " +
                                (reply ? reply->message : reply.error().message),
                            "payment_capture_failed");
      }
    }
    if (captured && !cancelled) {
      undo.clear();  // confirmed: nothing is to be undone
      through_cancel(cancelled, [&] {
        finish(
            "confirm",
            [&](std::int64_t now, WriteSet& writes) -> std::optional<Error> {
              auto sold = shop->stock.end_reservation(reservation_id, "committed", now, writes);
              if (auto* error = std::get_if<Error>(&sold)) return *error;
              return std::nullopt;
            },
            [](Order& next, std::int64_t now, OrderEvents& emit) {
              const PaymentStatus before = next.payment_status;
              advance(next.payment_status, PaymentStatus::kAuthorized);
              advance(next.payment_status, PaymentStatus::kCaptured);
              payment_events(next, before, emit);
              confirm(next, now);
              emit(next, "order.confirmed");
            });
      });
      shop->payments.forget(owner);  // settled: memory keeps the payments in flight
      co_return order;
    }
  }
  if (!failure) failure = cancelled_error();

  // Unwind, last first: the money back (void or refund, P2), then the stock.
  Task<std::optional<Error>> unwinding = undo.run();
  std::optional<Error> undo_failure = co_await std::move(unwinding);
  if (undo_failure) ctx.log().warn("order {}: an undo failed: {}", order_id, undo_failure->message);
  const payments::PaymentStatus money =
      pays ? money_of(shop->payments.ledger(), ctx, owner) : payments::PaymentStatus::kIntended;
  through_cancel(cancelled, [&] {
    finish(
        "unwind", [](std::int64_t, WriteSet&) -> std::optional<Error> { return std::nullopt; },
        [&](Order& next, std::int64_t now, OrderEvents& emit) {
          const PaymentStatus before = next.payment_status;
          follow_payment(next, money);
          payment_events(next, before, emit);
          fail(next, *failure, now);
          emit(next, next.status == OrderStatus::kCancelled ? "order.cancelled" : "order.failed");
        });
  });
  shop->payments.forget(owner);  // settled (a payment needing an operator stays)
  co_return order;
}

Task<Order> cancel_confirmed_order(Shop* shop, Context& ctx, CancelOrder in) {
  const std::string order_id = ctx.key();
  Order order = ctx.run("load_order", [&] {
    auto stored = shop->orders.read_order(order_id);
    if (!stored) {
      throw TerminalError(ErrorCode::kNotFound, "order " + order_id + " not found",
                          "order_not_found");
    }
    return *stored;
  });
  if (order.status == OrderStatus::kCancelled) co_return order;
  if (order.status != OrderStatus::kConfirmed ||
      order.fulfillment_status != FulfillmentStatus::kUnfulfilled) {
    throw TerminalError(ErrorCode::kConflict,
                        "order " + order_id + " is " + std::string(to_string(order.status)) +
                            " and cannot be cancelled",
                        "order_not_cancellable");
  }
  bool cancelled = false;
  // The refund is keyed by the order (refund/order:<id>): a cancel an operator killed after
  // the refund went out is followed by another, whose refund is the same one.
  const std::string owner = payment_owner(order_id);
  const bool pays = order.total_amount > 0;
  if (pays) {
    Task<payments::Settled> refunding = shop->payments.settle(ctx, owner);
    payments::Settled settled = co_await std::move(refunding);
    (void)settled;
  }
  const payments::PaymentStatus money =
      pays ? money_of(shop->payments.ledger(), ctx, owner) : payments::PaymentStatus::kIntended;
  const std::string why = in.reason.empty() ? "cancelled on request" : in.reason;
  through_cancel(cancelled, [&] {
    order = ctx.transact("return_stock", [&](WriteSet& writes) {
      Order next = order;
      const std::int64_t now = ctx.clock_ms();
      std::vector<Allocation> sold;
      for (const auto& item : order.items)
        sold.insert(sold.end(), item.allocations.begin(), item.allocations.end());
      // The refund is made: it is recorded whatever happens to the stock, which a broken S5
      // could only mean a bug in how the sale was recorded.
      if (auto error = shop->stock.return_sold(sold, order_id, now, writes))
        ctx.log().warn("order {}: units not returned: {}", order_id, error->message);
      if (money == payments::PaymentStatus::kRefunded) {
        advance(next.payment_status, PaymentStatus::kRefunded);
        shop->orders.order_event(next, "order.refunded", now, writes);
      }
      fail(next, cancelled_error(why), now);
      shop->orders.order_event(next, "order.cancelled", now, writes);
      shop->orders.write_order(next, order.status, writes);
      return next;
    });
  });
  shop->payments.forget(owner);
  co_return order;
}

Task<Order> reclaim_order(Shop* shop, Context& ctx, ReclaimOrder) {
  const std::string order_id = ctx.key();
  const std::string owner = payment_owner(order_id);
  bool cancelled = false;
  Order order = ctx.run("load_order", [&] {
    auto stored = shop->orders.read_order(order_id);
    return stored ? *stored : Order{};
  });
  // A confirmed order keeps its capture; anything else gives back what it holds (P2).
  const bool settles =
      order.status != OrderStatus::kConfirmed && shop->payments.ledger().payment(owner) != nullptr;
  if (settles) {
    // An authorization still out when the saga was killed is recorded, unanswered (P2).
    through_cancel(cancelled, [&] {
      ctx.transact("abandon_in_flight", [&](WriteSet& writes) {
        return shop->payments.ledger().abandon(owner, ctx.clock_ms(), writes).has_value();
      });
    });
    Task<payments::Settled> settling = shop->payments.settle(ctx, owner);
    payments::Settled settled = co_await std::move(settling);
    (void)settled;
  }
  const payments::PaymentStatus money =
      settles ? money_of(shop->payments.ledger(), ctx, owner) : payments::PaymentStatus::kIntended;
  through_cancel(cancelled, [&] {
    order = ctx.transact("reclaim", [&](WriteSet& writes) {
      const std::int64_t now = ctx.clock_ms();
      std::string held;
      for (const auto& [id, r] : shop->stock.held_reservations())
        if (r.order_id == order_id) held = id;
      if (!held.empty()) (void)shop->stock.end_reservation(held, "released", now, writes);
      auto stored = shop->orders.read_order(order_id);
      if (!stored || stored->terminal() || stored->status == OrderStatus::kConfirmed)
        return stored.value_or(order);
      Order next = *stored;
      OrderEvents emit(shop->orders, now, &writes);
      const PaymentStatus before = next.payment_status;
      follow_payment(next, money);
      payment_events(next, before, emit);
      fail(next,
           Error::of(ErrorCode::kKilled,
                     "the order's saga was killed by an operator; its units were released and "
                     "its payment voided or refunded",
                     "order_killed"),
           now);
      emit(next, "order.failed");
      shop->orders.write_order(next, stored->status, writes);
      return next;
    });
  });
  shop->payments.forget(owner);
  co_return order;
}

}  // namespace orderd::commerce
