#include "commerce/stock/stock_handlers.hpp"

#include "commerce/shop.hpp"
#include "common/money.hpp"

namespace orderd::commerce {
namespace {

template <class T>
T or_throw(std::variant<T, Error> decided) {
  if (auto* error = std::get_if<Error>(&decided)) throw TerminalError(std::move(*error));
  return std::get<T>(std::move(decided));
}

// A TTL outside [min_ms, kMaxReservationTtlMs] is refused (invalid_ttl): a raw call with a TTL of
// years would hold the stock for years.
void check_ttl(std::int64_t ttl_ms, std::int64_t min_ms) {
  if (ttl_ms >= min_ms && ttl_ms <= kMaxReservationTtlMs) return;
  throw TerminalError(ErrorCode::kInvalidArgument,
                      "ttl_ms must be between " + std::to_string(min_ms) + " and " +
                          std::to_string(kMaxReservationTtlMs) + " (7 days)",
                      "invalid_ttl");
}

}  // namespace

Task<Product> put_product(Shop* shop, Context& ctx, PutProduct in) {
  // The API validated these; a direct call (POST /Catalog/put_product) may not have.
  if (in.id < 1 || in.unit_price < 0 || !parse_currency(in.currency) || in.name.empty() ||
      in.sku.empty()) {
    throw TerminalError(ErrorCode::kInvalidArgument,
                        "a product needs a positive id, a name, a sku, a unit_price >= 0 and an "
                        "ISO 4217 currency",
                        "invalid_product");
  }
  Product stored = ctx.transact("put_product", [&](WriteSet& writes) {
    const std::int64_t now = ctx.clock_ms();
    Product product{in.id, in.sku, in.name, in.unit_price, in.currency, now, now};
    return shop->catalog.put_product(product, writes);
  });
  co_return stored;
}

Task<ProductLevels> set_stock(Shop* shop, Context& ctx, SetStock in) {
  ProductLevels levels = ctx.transact("set_stock", [&](WriteSet& writes) {
    if (auto error = shop->stock.set_stock(in.product_id, in.warehouse, in.restock, in.quantity,
                                           ctx.clock_ms(), writes))
      throw TerminalError(std::move(*error));
    return *shop->stock.ledger().levels(in.product_id);
  });
  co_return levels;
}

Task<Reservation> create_reservation(Shop* shop, Context& ctx, CreateReservation in) {
  const std::string id = reservation_id_for(ctx.invocation_id());
  Reservation held = ctx.transact("reserve", [&](WriteSet& writes) {
    // The API checked these; a direct call may not have. First, before the basket is merged,
    // and inside the step: its journaled outcome answers a replay, even under another
    // --max-basket-lines. A terminal failure here writes nothing.
    if (auto error = shop->stock.refuse_basket_size(in.items.size()))
      throw TerminalError(std::move(*error));
    check_ttl(in.ttl_ms, kMinReservationTtlMs);
    // Q3 (shop.hpp): decided here, so its journaled outcome answers a replay whatever the
    // holdings or the quotas are by then.
    const std::string& principal = ctx.principal();
    if (!principal.empty() && !in.quota_exempt) {
      if (auto error = shop->stock.refuse_quota(principal, in.items))
        throw TerminalError(std::move(*error));
    }
    Reservation want;
    want.id = id;
    want.owner = in.owner;
    want.principal = principal;
    want.items = in.items;
    want.created_at_ms = want.updated_at_ms = ctx.created_at_ms();
    want.expires_at_ms = want.created_at_ms + in.ttl_ms;
    return or_throw(shop->stock.reserve(std::move(want), writes));
  });
  // Its expiry is the stock's timer's (X1, stock.hpp), armed by reserve: no
  // invocation carries it, so none can be killed or purged with the hold still held.
  co_return held;
}

Task<Reservation> release_reservation(Shop* shop, Context& ctx, ReservationRef in) {
  Reservation released = ctx.transact("release", [&](WriteSet& writes) {
    const Reservation* held = shop->stock.held(in.id);
    if (!held) {
      auto stored = shop->stock.read_reservation(in.id);
      if (!stored) {
        throw TerminalError(ErrorCode::kNotFound, "reservation " + in.id + " not found",
                            "reservation_not_found");
      }
      if (stored->status == "released") return *stored;  // released before: the same answer
      throw TerminalError(ErrorCode::kConflict, "reservation " + in.id + " is " + stored->status,
                          "reservation_not_held");
    }
    if (!held->order_id.empty()) {
      throw TerminalError(ErrorCode::kConflict,
                          "reservation " + in.id + " belongs to order " + held->order_id,
                          "reservation_in_use");
    }
    return or_throw(shop->stock.end_reservation(in.id, "released", ctx.clock_ms(), writes));
  });
  co_return released;
}

Task<Reservation> expire_reservation(Shop* shop, Context& ctx, ReservationRef in) {
  // No longer started: the stock's timer expires reservations (X1). Kept registered because
  // journals from before still run it, and it is harmless beside the timer: a hold the timer
  // ended first is no longer held, and ending it is then a no-op. A direct call gets create's
  // bounds (0: at once).
  check_ttl(in.ttl_ms, 0);
  Future<void> timer = ctx.sleep(std::chrono::milliseconds(in.ttl_ms));
  co_await timer;
  Reservation ended = ctx.transact("expire", [&](WriteSet& writes) {
    const Reservation* held = shop->stock.held(in.id);
    if (!held || !held->order_id.empty()) {
      // Ended before (released, committed) or taken over by an order: nothing to do.
      Reservation untouched;
      untouched.id = in.id;
      untouched.status = held ? "held" : "ended";
      return untouched;
    }
    return or_throw(shop->stock.end_reservation(in.id, "expired", ctx.clock_ms(), writes));
  });
  co_return ended;
}

}  // namespace orderd::commerce
