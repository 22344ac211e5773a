#include "commerce/stock/stock.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <limits>

#include "commerce/catalog/catalog.hpp"
#include "commerce/events/outbox.hpp"
#include "commerce/table_rows.hpp"
#include "engine/engine.hpp"

namespace orderd::commerce {
namespace {

// The units a basket asks for (quantities below 1 are refused later, and count for nothing
// here); saturates instead of overflowing.
std::int64_t units_of(const std::vector<BasketItem>& items) {
  std::int64_t units = 0;
  for (const auto& item : items)
    if (item.quantity > 0 && __builtin_add_overflow(units, item.quantity, &units))
      return std::numeric_limits<std::int64_t>::max();
  return units;
}

}  // namespace

void Stock::load(store::Store& store) {
  held_.clear();
  holdings_.clear();
  ledger_ = StockLedger();
  for (const auto& w : catalog_.warehouses_by_priority()) ledger_.add_warehouse(w.id);
  scan_all(store, kStock, [&](const store::Row& row) {
    ledger_.load_product(std::stoll(row.key), from_row<ProductLevels>(row.value));
  });
  scan_all(store, kHeld, [&](const store::Row& row) {
    Reservation r = from_row<Reservation>(row.value);
    // An order's hold never expires on its own, whatever an old row says.
    ledger_.load_reservation(r.id, r.allocations, r.owner,
                             r.order_id.empty() ? r.expires_at_ms : 0);
    count_holding(r, +1);  // Q3
    held_[r.id] = std::move(r);
  });
  expiry_.arm();  // X1: a crash or a restart resumes the expiries where the rows left them
}

std::optional<Error> Stock::refuse_basket_size(std::size_t lines) const {
  if (lines <= options_.max_basket_lines) return std::nullopt;
  return Error::of(
      ErrorCode::kInvalidArgument,
      "a basket has at most " + std::to_string(options_.max_basket_lines) +
          " items; this one has " + std::to_string(lines),
      "too_many_items",
      json::dump(boost::json::object{{"max_items", options_.max_basket_lines}, {"items", lines}}));
}

const Reservation* Stock::held(const std::string& reservation_id) const {
  auto it = held_.find(reservation_id);
  return it == held_.end() ? nullptr : &it->second;
}

std::optional<Reservation> Stock::read_reservation(const std::string& id) const {
  auto row = engine_->read_row(kReservations, id);
  if (!row) return std::nullopt;
  return from_row<Reservation>(*row);
}

void Stock::count_holding(const Reservation& r, int direction) {
  if (r.principal.empty() || !r.order_id.empty()) return;  // anonymous, or an order's
  const std::int64_t units = units_of(r.items);
  if (direction > 0) {
    Holding& h = holdings_[r.principal];
    ++h.reservations;
    h.units = h.units > std::numeric_limits<std::int64_t>::max() - units
                  ? std::numeric_limits<std::int64_t>::max()
                  : h.units + units;
    return;
  }
  auto it = holdings_.find(r.principal);
  if (it == holdings_.end()) return;
  it->second.units -= units;
  if (--it->second.reservations == 0) holdings_.erase(it);
}

Stock::Holding Stock::holding_of(const std::string& principal) const {
  auto it = holdings_.find(principal);
  return it == holdings_.end() ? Holding{} : it->second;
}

std::optional<Error> Stock::refuse_quota(const std::string& principal,
                                         const std::vector<BasketItem>& items) const {
  const Holding held = holding_of(principal);
  const std::size_t max_reservations = options_.max_reservations_per_caller;
  if (held.reservations >= max_reservations) {
    return Error::of(ErrorCode::kResourceExhausted,
                     "quota reached: this caller holds " + std::to_string(held.reservations) +
                         " open reservations, its quota is " + std::to_string(max_reservations) +
                         " (--quota-reservations); release one or let it expire",
                     "quota_reservations",
                     json::dump(boost::json::object{{"quota", max_reservations},
                                                    {"reservations", held.reservations}}));
  }
  const std::int64_t max_units = options_.max_reserved_units_per_caller;
  const std::int64_t units = units_of(items);
  if (units > max_units - held.units) {
    return Error::of(
        ErrorCode::kResourceExhausted,
        "quota reached: this caller holds " + std::to_string(held.units) +
            " units in open reservations and asks for " + std::to_string(units) +
            " more, its quota is " + std::to_string(max_units) + " (--quota-reserved-units)",
        "quota_reserved_units",
        json::dump(boost::json::object{
            {"quota", max_units}, {"reserved_units", held.units}, {"requested", units}}));
  }
  return std::nullopt;
}

void Stock::stock_moved(std::vector<ProductId> products, std::string_view type,
                        const std::string& reference, std::int64_t now_ms, WriteSet& writes) {
  std::sort(products.begin(), products.end());
  products.erase(std::unique(products.begin(), products.end()), products.end());
  for (ProductId product : products) {
    if (!ledger_.levels(product)) continue;
    const std::int64_t version = ledger_.next_version(product);
    const ProductLevels& levels = *ledger_.levels(product);
    writes.put(kStock, product_key(product), row_json(levels));
    boost::json::object data{{"product_id", product}, {"stock", stock_view(&levels)}};
    if (!reference.empty()) data["reference"] = reference;
    outbox_.emit(writes, type, std::to_string(product), version, now_ms, json::dump(data));
  }
}

std::optional<Error> Stock::set_stock(ProductId product, const std::string& warehouse, bool restock,
                                      std::int64_t quantity, std::int64_t now_ms,
                                      WriteSet& writes) {
  if (!catalog_.product(product)) {
    return Error::of(ErrorCode::kNotFound, "product " + std::to_string(product) + " not found",
                     "product_not_found");
  }
  if (auto refused = catalog_.refuse_new_warehouse(warehouse)) return refused;  // W1
  const bool new_warehouse = !catalog_.warehouses().count(warehouse);
  auto error = restock ? ledger_.restock(product, warehouse, quantity)
                       : ledger_.set_on_hand(product, warehouse, quantity);
  if (error) return error;
  if (new_warehouse)
    catalog_.add_warehouse({warehouse, warehouse, catalog_.next_priority()}, writes);
  stock_moved({product}, restock ? "stock.restocked" : "stock.set", warehouse, now_ms, writes);
  return std::nullopt;
}

std::variant<Reservation, Error> Stock::reserve(Reservation reservation, WriteSet& writes) {
  // One line per product (a direct call may name one twice).
  auto merged = merge_basket(reservation.items);
  if (!merged)
    return Error::of(ErrorCode::kInvalidArgument, "quantity overflows", "invalid_quantity");
  reservation.items = std::move(*merged);
  for (const auto& item : reservation.items) {
    if (!catalog_.product(item.product_id)) {
      return Error::of(ErrorCode::kUnprocessable,
                       "product " + std::to_string(item.product_id) + " is not in the catalog",
                       "unknown_product");
    }
  }
  if (!reservation.order_id.empty()) reservation.expires_at_ms = 0;  // an order's: never
  auto held = ledger_.reserve(reservation.id, reservation.items, reservation.owner,
                              reservation.expires_at_ms);
  if (auto* error = std::get_if<Error>(&held)) return std::move(*error);
  reservation.allocations = std::get<StockLedger::Held>(held).allocations;
  reservation.status = "held";
  std::vector<ProductId> products;
  for (const auto& item : reservation.items) products.push_back(item.product_id);
  stock_moved(std::move(products), "stock.reserved", reservation.id, reservation.updated_at_ms,
              writes);
  writes.put(kHeld, reservation.id, row_json(reservation));
  if (reservation.order_id.empty())
    writes.put(kReservations, reservation.id, row_json(reservation));
  held_[reservation.id] = reservation;
  count_holding(reservation, +1);                    // Q3
  if (reservation.expires_at_ms > 0) expiry_.arm();  // X1: perhaps earlier than the one armed
  return reservation;
}

std::size_t Stock::expire_due(std::int64_t now_ms, std::size_t limit, WriteSet& writes) {
  const std::vector<std::string> due = ledger_.inventory().expired(now_ms, limit);
  for (const std::string& id : due) {
    auto it = held_.find(id);
    if (it == held_.end() || !it->second.order_id.empty()) {
      // Cannot happen (adopt clears the expiry, held_ mirrors the holds); never due again.
      (void)ledger_.set_expiry(id, 0);
      continue;
    }
    (void)end_reservation(id, "expired", now_ms, writes);
  }
  return due.size();
}

std::variant<Reservation, Error> Stock::end_reservation(const std::string& id,
                                                        const std::string& status,
                                                        std::int64_t now_ms, WriteSet& writes) {
  auto it = held_.find(id);
  if (it == held_.end()) {
    return Error::of(ErrorCode::kConflict, "reservation " + id + " is not held",
                     "reservation_not_held");
  }
  auto ended = status == "committed" ? ledger_.commit(id) : ledger_.release(id);
  if (auto* error = std::get_if<Error>(&ended)) return std::move(*error);
  Reservation r = std::move(it->second);
  held_.erase(it);
  count_holding(r, -1);  // Q3
  r.status = status;
  r.updated_at_ms = now_ms;
  std::vector<ProductId> products;
  for (const auto& a : r.allocations) products.push_back(a.product_id);
  stock_moved(std::move(products), status == "committed" ? "stock.committed" : "stock.released",
              r.id, now_ms, writes);
  writes.erase(kHeld, r.id);
  // Only the API's reservations have a public record; an order's own lives in the order.
  if (r.owner.rfind("order:", 0) != 0) writes.put(kReservations, r.id, row_json(r));
  return r;
}

std::variant<Reservation, Error> Stock::adopt(const std::string& id, const std::string& order_id,
                                              std::int64_t now_ms, WriteSet& writes) {
  auto it = held_.find(id);
  if (it == held_.end()) {
    return Error::of(ErrorCode::kConflict,
                     "reservation " + id + " is not held (expired, released or used)",
                     "reservation_not_held");
  }
  if (!it->second.order_id.empty() && it->second.order_id != order_id) {
    return Error::of(ErrorCode::kConflict, "reservation " + id + " belongs to another order",
                     "reservation_not_held");
  }
  if (auto error = ledger_.set_expiry(id, 0)) return *error;  // X1: ends with the order
  count_holding(it->second, -1);  // Q3: the order's now (nothing when it was already)
  it->second.order_id = order_id;
  it->second.expires_at_ms = 0;  // an order's: it ends with the order, never on its own
  it->second.updated_at_ms = now_ms;
  writes.put(kHeld, id, row_json(it->second));
  writes.put(kReservations, id, row_json(it->second));
  return it->second;
}

std::optional<Error> Stock::return_sold(const std::vector<Allocation>& sold,
                                        const std::string& reference, std::int64_t now_ms,
                                        WriteSet& writes) {
  if (auto error = ledger_.return_sold(sold)) return error;
  std::vector<ProductId> products;
  for (const auto& a : sold) products.push_back(a.product_id);
  stock_moved(std::move(products), "stock.returned", reference, now_ms, writes);
  return std::nullopt;
}

}  // namespace orderd::commerce
