#include "commerce/orders/order_saga.hpp"

#include <optional>
#include <vector>

#include "commerce/fraud/risk.hpp"
#include "commerce/payments/mock_gateway.hpp"
#include "commerce/shipping/quote.hpp"
#include "commerce/shop.hpp"

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

// The gateway's answer, even when a cancel arrives while it is out: the cancel is noted and the
// answer awaited, because what the gateway did decides the unwind.
Task<Result<GatewayReply>> settle_gateway(Future<GatewayReply> op, bool* cancelled) {
  for (;;) {
    auto settling = op.settle();
    Result<GatewayReply> reply = co_await settling;
    if (reply || reply.error().code != ErrorCode::kCancelled) co_return reply;
    *cancelled = true;
  }
}

Future<GatewayReply> start_gateway(Shop* shop, Context& ctx, const char* name,
                                   GatewayRequest request, const RunPolicy& policy) {
  auto gateway = shop->payments.gateway();
  auto call = [gateway, request](const EffectAttempt& attempt) {
    return call_gateway(gateway, request, attempt);
  };
  return ctx.run_async(name, std::move(call), policy);
}

PaymentRecord record_of(Context& ctx, const Future<GatewayReply>& op, const GatewayRequest& request,
                        const Result<GatewayReply>& reply, std::int64_t now_ms) {
  PaymentRecord r;
  r.id = payment_id_for(ctx.invocation_id() + "/" + std::to_string(op.step()));
  r.order_id = request.order_id;
  r.type = request.type;
  r.amount = request.amount;
  r.currency = request.currency;
  r.created_at_ms = now_ms;
  if (reply) {
    r.status = reply->succeeded() ? "succeeded" : "declined";
    r.reference = reply->reference;
    r.message = reply->message;
  } else {
    r.status = "failed";
    r.message = reply.error().message;
  }
  return r;
}

// The order events a settling step emits. Live they are written as the order changes; on a
// replay (and when the live run applies the same transition to its own copy) only counted, so
// the order's event_version is the one the live run stored (E2).
class OrderEvents {
 public:
  OrderEvents(Shop* shop, std::int64_t now_ms, WriteSet* writes)
      : shop_(shop), now_ms_(now_ms), writes_(writes) {}
  void operator()(Order& order, std::string_view type) {
    if (writes_)
      shop_->orders.order_event(order, type, now_ms_, *writes_);
    else
      ++order.event_version;
  }

 private:
  Shop* shop_;
  std::int64_t now_ms_;
  WriteSet* writes_;
};

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
  if (!MockGateway::supports(in.payment_method)) {
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

}  // namespace

Task<Order> place_order(Shop* shop, Context& ctx, PlaceOrder in) {
  const std::string order_id = order_id_for(ctx.invocation_id());
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

  // Fan-out: the authorization goes out while the risk is scored.
  GatewayRequest authorization{"authorize",        order_id,       in.payment_method,
                               order.total_amount, order.currency, ""};
  std::optional<Future<GatewayReply>> authorizing;
  unless_cancelled(cancelled, [&] {
    authorizing.emplace(
        start_gateway(shop, ctx, "authorize", authorization, shop->payments.authorize_policy()));
  });
  RiskVerdict risk;
  through_cancel(cancelled, [&] {
    risk = ctx.run("fraud_check", [&] {
      return assess_risk(order.total_amount, order.currency, shop->options.fraud_reject_above);
    });
  });

  std::optional<Error> failure;
  bool authorized = false;
  // The ledger's records, written by the saga's last step with the order's final state: one
  // commit, and every record exactly once (the gateway's answers are journaled until then).
  std::vector<PaymentRecord> records;
  order.risk_score = risk.score;
  if (authorizing) {
    Task<Result<GatewayReply>> settling = settle_gateway(*authorizing, &cancelled);
    Result<GatewayReply> reply = co_await std::move(settling);
    authorized = reply && reply->succeeded();
    records.push_back(record_of(ctx, *authorizing, authorization, reply, 0));
    if (!reply) {
      failure = Error::of(
          reply.error().code == ErrorCode::kDeadlineExceeded ? ErrorCode::kDeadlineExceeded
                                                             : ErrorCode::kUpstreamFailed,
          "the payment gateway did not answer: " + reply.error().message, "payment_unavailable");
    } else if (!authorized) {
      failure = Error::of(ErrorCode::kPaymentRequired, "payment declined: " + reply->message,
                          "payment_declined");
    }
    advance(order.payment_status, authorized ? PaymentStatus::kAuthorized : PaymentStatus::kFailed);
    if (authorized) order.payment_reference = reply->reference;
  }
  if (!failure && cancelled) failure = cancelled_error();
  if (!failure && risk.rejected) {
    failure = Error::of(ErrorCode::kUnprocessable,
                        "the order's risk score " + std::to_string(risk.score) + " is above " +
                            std::to_string(risk.threshold),
                        "fraud_rejected");
  }

  // The last step: the records, the stock and the order's final state in one commit. It
  // journals only its time: `effects` (stock) runs on the live run only, `settle` (the order's
  // transition) also after, so a replay recomputes the order the live run stored.
  auto finish = [&](const char* name, auto effects, auto settle) {
    const std::int64_t at = ctx.transact(name, [&](WriteSet& writes) {
      const std::int64_t now = ctx.clock_ms();
      for (auto record : records) {
        if (record.created_at_ms == 0) record.created_at_ms = now;
        shop->payments.write_payment(record, writes);
      }
      Order next = order;
      OrderEvents emit(shop, now, &writes);
      settle(next, now, emit);
      shop->orders.write_order(next, order.status, writes);
      // Memory last: nothing after it can throw and leave it changed without the rows.
      if (std::optional<Error> error = effects(now, writes)) throw TerminalError(*error);
      return now;
    });
    OrderEvents count(shop, at, nullptr);
    settle(order, at, count);
  };

  bool captured = false;
  GatewayRequest capture{"capture",          order_id,       in.payment_method,
                         order.total_amount, order.currency, order.payment_reference};
  std::optional<Future<GatewayReply>> capturing;
  if (!failure)
    unless_cancelled(cancelled, [&] {
      capturing.emplace(
          start_gateway(shop, ctx, "capture", capture, shop->payments.settle_policy()));
    });
  if (capturing) {
    Task<Result<GatewayReply>> settling = settle_gateway(*capturing, &cancelled);
    Result<GatewayReply> reply = co_await std::move(settling);
    captured = reply && reply->succeeded();
    records.push_back(record_of(ctx, *capturing, capture, reply, 0));
    if (!captured) {
      failure = Error::of(
          ErrorCode::kUpstreamFailed,
          "the payment could not be captured: " + (reply ? reply->message : reply.error().message),
          "payment_capture_failed");
    } else if (!cancelled) {
      through_cancel(cancelled, [&] {
        finish(
            "confirm",
            [&](std::int64_t now, WriteSet& writes) -> std::optional<Error> {
              auto sold =
                  shop->stock.end_reservation(order.reservation_id, "committed", now, writes);
              if (auto* error = std::get_if<Error>(&sold)) return *error;
              return std::nullopt;
            },
            [](Order& next, std::int64_t now, OrderEvents& emit) {
              emit(next, "order.authorized");
              advance(next.payment_status, PaymentStatus::kCaptured);
              emit(next, "order.captured");
              confirm(next, now);
              emit(next, "order.confirmed");
            });
      });
      co_return order;
    }
  }
  if (!failure) failure = cancelled_error();

  // Unwind, last first: give the money back, then the stock.
  const char* undo = captured ? "refund" : authorized ? "void" : nullptr;
  if (undo) {
    GatewayRequest request{undo,
                           order_id,
                           in.payment_method,
                           order.total_amount,
                           order.currency,
                           order.payment_reference};
    std::optional<Future<GatewayReply>> undoing;
    through_cancel(cancelled, [&] {
      undoing.emplace(start_gateway(shop, ctx, undo, request, shop->payments.settle_policy()));
    });
    Task<Result<GatewayReply>> settling = settle_gateway(*undoing, &cancelled);
    Result<GatewayReply> reply = co_await std::move(settling);
    records.push_back(record_of(ctx, *undoing, request, reply, 0));
  }
  const bool undone = undo && records.back().status == "succeeded";
  through_cancel(cancelled, [&] {
    finish(
        "unwind",
        [&](std::int64_t now, WriteSet& writes) -> std::optional<Error> {
          // An order whose units were sold (captured, then cancelled) holds nothing any more.
          if (shop->stock.held(order.reservation_id))
            shop->stock.end_reservation(order.reservation_id, "released", now, writes);
          return std::nullopt;
        },
        [&](Order& next, std::int64_t now, OrderEvents& emit) {
          if (authorizing) emit(next, authorized ? "order.authorized" : "order.payment_failed");
          if (captured) {
            advance(next.payment_status, PaymentStatus::kCaptured);
            emit(next, "order.captured");
          }
          if (undone) {
            advance(next.payment_status,
                    captured ? PaymentStatus::kRefunded : PaymentStatus::kVoided);
            emit(next, captured ? "order.refunded" : "order.voided");
          }
          fail(next, *failure, now);
          emit(next, next.status == OrderStatus::kCancelled ? "order.cancelled" : "order.failed");
        });
  });
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
  // Keyed by the order, not by this invocation: a cancel an operator killed after the refund
  // went out is followed by another invocation, whose refund must be the same one.
  GatewayRequest request{"refund",
                         order_id,
                         order.payment_method,
                         order.total_amount,
                         order.currency,
                         order.payment_reference,
                         "refund/" + order_id};
  std::optional<Future<GatewayReply>> refunding;
  through_cancel(cancelled, [&] {
    refunding.emplace(start_gateway(shop, ctx, "refund", request, shop->payments.settle_policy()));
  });
  Task<Result<GatewayReply>> settling = settle_gateway(*refunding, &cancelled);
  Result<GatewayReply> reply = co_await std::move(settling);
  const std::string why = in.reason.empty() ? "cancelled on request" : in.reason;
  through_cancel(cancelled, [&] {
    order = ctx.transact("return_stock", [&](WriteSet& writes) {
      Order next = order;
      const std::int64_t now = ctx.clock_ms();
      PaymentRecord record = record_of(ctx, *refunding, request, reply, now);
      shop->payments.write_payment(record, writes);
      std::vector<Allocation> sold;
      for (const auto& item : order.items)
        sold.insert(sold.end(), item.allocations.begin(), item.allocations.end());
      // The refund is made: it is recorded whatever happens to the stock, which a broken S5
      // could only mean a bug in how the sale was recorded.
      if (auto error = shop->stock.return_sold(sold, order_id, now, writes))
        ctx.log().warn("order {}: units not returned: {}", order_id, error->message);
      if (record.status == "succeeded") {
        advance(next.payment_status, PaymentStatus::kRefunded);
        shop->orders.order_event(next, "order.refunded", now, writes);
      }
      fail(next, cancelled_error(why), now);
      shop->orders.order_event(next, "order.cancelled", now, writes);
      shop->orders.write_order(next, order.status, writes);
      return next;
    });
  });
  co_return order;
}

}  // namespace orderd::commerce
