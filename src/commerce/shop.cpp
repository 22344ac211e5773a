#include "commerce/shop.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "common/json_writer.hpp"
#include "engine/engine.hpp"
#include "engine/registry.hpp"
#include "engine/scheduler.hpp"
#include "store/store.hpp"

namespace orderd::commerce {
namespace {

template <class T>
std::string row_json(const T& value) {
  return json::dump(boost::json::value_from(value));
}

template <class T>
T from_row(const std::string& text) {
  return boost::json::value_to<T>(boost::json::parse(text));
}

// Every row of `table`, a page at a time.
template <class Visit>
void scan_all(store::Store& store, const std::string& table, Visit visit) {
  std::string from;
  for (;;) {
    std::vector<store::Row> rows = store.scan_rows({table, from, "", 10'000, false});
    for (const auto& row : rows) visit(row);
    if (rows.size() < 10'000) return;
    from = rows.back().key;
    from.push_back('\0');  // the first key after it
  }
}

// The units a basket asks for (quantities below 1 are refused later, and count for nothing
// here); saturates instead of overflowing.
std::int64_t units_of(const std::vector<BasketItem>& items) {
  std::int64_t units = 0;
  for (const auto& item : items)
    if (item.quantity > 0 && __builtin_add_overflow(units, item.quantity, &units))
      return std::numeric_limits<std::int64_t>::max();
  return units;
}

std::string user_digits(std::int64_t user_id) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020lld", static_cast<long long>(user_id));
  return digits;
}

}  // namespace

Shop::Shop(ShopOptions options) : options_(options) {}

void Shop::attach(Engine& engine, Scheduler& scheduler) {
  engine_ = &engine;
  scheduler_ = &scheduler;
  reclaim_timer_ = 0;  // a timer of an earlier scheduler (a test's restart) is gone with it
  gateway_ = std::make_shared<MockGateway>(scheduler, options_.gateway);
}

Shop::~Shop() {
  if (reclaim_timer_ && scheduler_) scheduler_->cancel(reclaim_timer_);
}

void Shop::load(store::Store& store) {
  products_.clear();
  warehouses_.clear();
  held_.clear();
  holdings_.clear();
  ledger_ = StockLedger();
  std::vector<Warehouse> warehouses;
  scan_all(store, kWarehouses,
           [&](const store::Row& row) { warehouses.push_back(from_row<Warehouse>(row.value)); });
  std::sort(warehouses.begin(), warehouses.end(), [](const Warehouse& a, const Warehouse& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.id < b.id;
  });
  for (auto& w : warehouses) {
    ledger_.add_warehouse(w.id);
    warehouses_[w.id] = std::move(w);
  }
  scan_all(store, kProducts, [&](const store::Row& row) {
    Product p = from_row<Product>(row.value);
    products_[p.id] = std::move(p);
  });
  scan_all(store, kStock, [&](const store::Row& row) {
    ledger_.load_product(std::stoll(row.key), from_row<ProductLevels>(row.value));
  });
  outbox_.load(store);
  scan_all(store, kHeld, [&](const store::Row& row) {
    Reservation r = from_row<Reservation>(row.value);
    ledger_.load_reservation(r.id, r.allocations);
    count_holding(r, +1);  // Q3
    held_[r.id] = std::move(r);
  });
}

std::vector<store::RowWrite> Shop::seed(const CatalogSpec& spec, std::int64_t now_ms) {
  // W1: refused whole, before anything is applied (a stock entry's warehouse is in the list).
  std::size_t adding = 0;
  for (const auto& w : spec.warehouses) adding += warehouses_.count(w.id) ? 0 : 1;
  if (warehouses_.size() + adding > options_.max_warehouses) {
    throw std::invalid_argument("catalog: " + std::to_string(warehouses_.size() + adding) +
                                " warehouses, more than --max-warehouses (" +
                                std::to_string(options_.max_warehouses) + ")");
  }
  WriteSet writes;
  std::vector<Warehouse> warehouses = spec.warehouses;
  std::stable_sort(warehouses.begin(), warehouses.end(),
                   [](const Warehouse& a, const Warehouse& b) { return a.priority < b.priority; });
  for (const auto& w : warehouses) add_warehouse(w, writes);
  for (const auto& item : spec.products) {
    Product p = item.product;
    p.created_at_ms = p.updated_at_ms = now_ms;
    put_product(p, writes);
    for (const auto& [warehouse, units] : item.stock) {
      if (auto error = set_stock(p.id, warehouse, false, units, now_ms, writes))
        throw std::invalid_argument("catalog: " + error->message);
    }
  }
  return writes.take();
}

void Shop::add_warehouse(const Warehouse& warehouse, WriteSet& writes) {
  if (warehouses_.count(warehouse.id)) return;
  ledger_.add_warehouse(warehouse.id);
  warehouses_[warehouse.id] = warehouse;
  writes.put(kWarehouses, warehouse.id, row_json(warehouse));
}

std::optional<Error> Shop::refuse_basket_size(std::size_t lines) const {
  if (lines <= options_.max_basket_lines) return std::nullopt;
  return Error::of(
      ErrorCode::kInvalidArgument,
      "a basket has at most " + std::to_string(options_.max_basket_lines) +
          " items; this one has " + std::to_string(lines),
      "too_many_items",
      json::dump(boost::json::object{{"max_items", options_.max_basket_lines}, {"items", lines}}));
}

const Product* Shop::product(ProductId id) const {
  auto it = products_.find(id);
  return it == products_.end() ? nullptr : &it->second;
}

const Reservation* Shop::held(const std::string& reservation_id) const {
  auto it = held_.find(reservation_id);
  return it == held_.end() ? nullptr : &it->second;
}

void Shop::count_holding(const Reservation& r, int direction) {
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

Shop::Holding Shop::holding_of(const std::string& principal) const {
  auto it = holdings_.find(principal);
  return it == holdings_.end() ? Holding{} : it->second;
}

std::optional<Error> Shop::refuse_quota(const std::string& principal,
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

RunPolicy Shop::authorize_policy() const {
  RunPolicy policy;
  policy.timeout = std::chrono::milliseconds(options_.payment_timeout_ms);
  policy.max_attempts = options_.authorize_attempts;
  policy.initial_backoff = std::chrono::milliseconds(50);
  policy.max_backoff = std::chrono::milliseconds(2000);
  return policy;
}

RunPolicy Shop::settle_policy() const {
  RunPolicy policy = authorize_policy();
  policy.max_attempts = 0;
  return policy;
}

Product Shop::put_product(const Product& product, WriteSet& writes) {
  Product stored = product;
  if (const Product* existing = this->product(product.id))
    stored.created_at_ms = existing->created_at_ms;
  writes.put(kProducts, product_key(stored.id), row_json(stored));
  products_[stored.id] = stored;
  return stored;
}

void Shop::stock_moved(std::vector<ProductId> products, std::string_view type,
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

void Shop::order_event(Order& order, std::string_view type, std::int64_t now_ms, WriteSet& writes) {
  ++order.event_version;
  outbox_.emit(writes, type, order.id, order.event_version, now_ms, order_view_json(order));
}

std::optional<Error> Shop::set_stock(ProductId product, const std::string& warehouse, bool restock,
                                     std::int64_t quantity, std::int64_t now_ms, WriteSet& writes) {
  if (!this->product(product)) {
    return Error::of(ErrorCode::kNotFound, "product " + std::to_string(product) + " not found",
                     "product_not_found");
  }
  // A warehouse named here for the first time is created, after the known ones (W1).
  const bool new_warehouse = !warehouses_.count(warehouse);
  if (new_warehouse && warehouses_.size() >= options_.max_warehouses) {
    return Error::of(ErrorCode::kUnprocessable,
                     "warehouse '" + warehouse + "' would be one more than the " +
                         std::to_string(options_.max_warehouses) +
                         " orderd keeps (--max-warehouses)",
                     "too_many_warehouses",
                     json::dump(boost::json::object{{"warehouse", warehouse},
                                                    {"max_warehouses", options_.max_warehouses}}));
  }
  auto error = restock ? ledger_.restock(product, warehouse, quantity)
                       : ledger_.set_on_hand(product, warehouse, quantity);
  if (error) return error;
  if (new_warehouse) {
    std::int64_t priority = 1;
    for (const auto& [id, w] : warehouses_) priority = std::max(priority, w.priority + 1);
    add_warehouse({warehouse, warehouse, priority}, writes);
  }
  stock_moved({product}, restock ? "stock.restocked" : "stock.set", warehouse, now_ms, writes);
  return std::nullopt;
}

std::variant<Reservation, Error> Shop::reserve(Reservation reservation, WriteSet& writes) {
  // One line per product (a direct call may name one twice).
  auto merged = merge_basket(reservation.items);
  if (!merged)
    return Error::of(ErrorCode::kInvalidArgument, "quantity overflows", "invalid_quantity");
  reservation.items = std::move(*merged);
  for (const auto& item : reservation.items) {
    if (!product(item.product_id)) {
      return Error::of(ErrorCode::kUnprocessable,
                       "product " + std::to_string(item.product_id) + " is not in the catalog",
                       "unknown_product");
    }
  }
  auto held = ledger_.reserve(reservation.id, reservation.items);
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
  count_holding(reservation, +1);  // Q3
  return reservation;
}

std::variant<Reservation, Error> Shop::end_reservation(const std::string& id,
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

std::variant<Reservation, Error> Shop::adopt(const std::string& id, const std::string& order_id,
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
  count_holding(it->second, -1);  // Q3: the order's now (nothing when it was already)
  it->second.order_id = order_id;
  it->second.expires_at_ms = 0;  // an order's: it ends with the order, never on its own
  it->second.updated_at_ms = now_ms;
  writes.put(kHeld, id, row_json(it->second));
  writes.put(kReservations, id, row_json(it->second));
  return it->second;
}

std::optional<Error> Shop::return_sold(const std::vector<Allocation>& sold,
                                       const std::string& order_id, std::int64_t now_ms,
                                       WriteSet& writes) {
  if (auto error = ledger_.return_sold(sold)) return error;
  std::vector<ProductId> products;
  for (const auto& a : sold) products.push_back(a.product_id);
  stock_moved(std::move(products), "stock.returned", order_id, now_ms, writes);
  return std::nullopt;
}

std::string Shop::user_index_prefix(std::int64_t user_id) {
  return "u/" + user_digits(user_id) + "/";
}

std::string Shop::user_status_index_prefix(std::int64_t user_id, OrderStatus status) {
  return "us/" + user_digits(user_id) + "/" + std::string(to_string(status)) + "/";
}

std::string Shop::status_index_prefix(OrderStatus status) {
  return "s/" + std::string(to_string(status)) + "/";
}

void Shop::write_order(const Order& order, std::optional<OrderStatus> previous,
                       WriteSet& writes) const {
  writes.put(kOrders, order.id, row_json(order));
  if (previous == order.status) return;
  if (!previous) {
    writes.put(kOrderIndex, user_index_prefix(order.user_id) + order.id, "");
  } else {
    writes.erase(kOrderIndex, user_status_index_prefix(order.user_id, *previous) + order.id);
    writes.erase(kOrderIndex, status_index_prefix(*previous) + order.id);
  }
  writes.put(kOrderIndex, user_status_index_prefix(order.user_id, order.status) + order.id, "");
  writes.put(kOrderIndex, status_index_prefix(order.status) + order.id, "");
}

void Shop::write_payment(const PaymentRecord& record, WriteSet& writes) const {
  writes.put(kPayments, payment_key(record.order_id, record.id), row_json(record));
}

std::size_t Shop::reclaim_abandoned() {
  std::vector<std::string> abandoned;
  for (const auto& [id, r] : held_) {
    if (r.order_id.empty()) continue;  // the API's: its expiry releases it
    InvocationOutcome outcome;
    if (engine_->output(invocation_id_for(r.order_id), outcome) == Engine::Lookup::kDone)
      abandoned.push_back(id);
  }
  if (abandoned.empty()) return 0;
  const std::int64_t now = scheduler_->now_ms();
  WriteSet writes;
  for (const auto& id : abandoned) {
    const std::string order_id = held_.at(id).order_id;
    end_reservation(id, "released", now, writes);
    if (auto order = read_order(order_id); order && !order->terminal()) {
      Order next = *order;
      fail(next,
           Error::of(ErrorCode::kKilled,
                     "the order's saga was killed by an operator; its units were released",
                     "order_killed"),
           now);
      order_event(next, "order.failed", now, writes);
      write_order(next, order->status, writes);
    }
  }
  engine_->write_rows(writes.take(), [] {});
  return abandoned.size();
}

void Shop::reclaim_every(std::int64_t interval_ms) {
  reclaim_timer_ = scheduler_->schedule_after(interval_ms, [this, interval_ms] {
    reclaim_abandoned();
    reclaim_every(interval_ms);
  });
}

std::optional<Order> Shop::read_order(const std::string& order_id) const {
  auto row = engine_->read_row(kOrders, order_id);
  if (!row) return std::nullopt;
  return from_row<Order>(*row);
}

std::optional<Reservation> Shop::read_reservation(const std::string& id) const {
  auto row = engine_->read_row(kReservations, id);
  if (!row) return std::nullopt;
  return from_row<Reservation>(*row);
}

}  // namespace orderd::commerce
