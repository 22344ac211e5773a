#include "commerce/stock/stock_ledger.hpp"

#include <algorithm>
#include <boost/json/object.hpp>

#include "common/json_writer.hpp"

namespace orderd::commerce {
namespace {

std::string units_json(ProductId product, std::int64_t requested, std::int64_t available) {
  return "{\"product_id\":" + std::to_string(product) +
         ",\"requested\":" + std::to_string(requested) +
         ",\"available\":" + std::to_string(available) + "}";
}

}  // namespace

std::optional<std::vector<BasketItem>> merge_basket(const std::vector<BasketItem>& basket) {
  std::vector<BasketItem> merged;
  merged.reserve(basket.size());
  // Each product's line in `merged`: one lookup per line, so linear in the basket (comparing
  // with every line merged so far was quadratic, and ran before any size check).
  std::unordered_map<ProductId, std::size_t> line_of;
  line_of.reserve(basket.size());
  for (const auto& item : basket) {
    auto [at, first] = line_of.try_emplace(item.product_id, merged.size());
    if (first)
      merged.push_back(item);
    else if (BasketItem& same = merged[at->second];
             __builtin_add_overflow(same.quantity, item.quantity, &same.quantity))
      return std::nullopt;
  }
  return merged;
}

std::int64_t ProductLevels::on_hand() const {
  std::int64_t n = 0;
  for (const auto& w : warehouses) n += w.on_hand;
  return n;
}

std::int64_t ProductLevels::reserved() const {
  std::int64_t n = 0;
  for (const auto& w : warehouses) n += w.reserved;
  return n;
}

void StockLedger::add_warehouse(std::string name) {
  if (std::find(warehouse_order_.begin(), warehouse_order_.end(), name) == warehouse_order_.end())
    warehouse_order_.push_back(std::move(name));
}

std::size_t StockLedger::rank(const std::string& warehouse) {
  add_warehouse(warehouse);
  return static_cast<std::size_t>(
      std::find(warehouse_order_.begin(), warehouse_order_.end(), warehouse) -
      warehouse_order_.begin());
}

// The product's level in `warehouse`, created empty in priority order if missing.
WarehouseLevel& StockLedger::level(ProductId product, const std::string& warehouse) {
  auto& levels = products_[product].warehouses;
  for (auto& w : levels)
    if (w.warehouse == warehouse) return w;
  const std::size_t r = rank(warehouse);
  auto at = std::find_if(levels.begin(), levels.end(),
                         [&](const WarehouseLevel& w) { return rank(w.warehouse) > r; });
  return *levels.insert(at, WarehouseLevel{warehouse, 0, 0});
}

// Whether `product` may hold `on_hand` units in `warehouse`: its total over all warehouses must
// fit in 64 bits, so the sums reserve() takes never overflow.
bool StockLedger::fits(ProductId product, const std::string& warehouse,
                       std::int64_t on_hand) const {
  std::int64_t total = on_hand;
  if (const ProductLevels* p = levels(product))
    for (const auto& w : p->warehouses)
      if (w.warehouse != warehouse && __builtin_add_overflow(total, w.on_hand, &total))
        return false;
  return true;
}

std::optional<Error> StockLedger::set_on_hand(ProductId product, const std::string& warehouse,
                                              std::int64_t on_hand) {
  if (on_hand < 0)
    return Error::of(ErrorCode::kInvalidArgument, "on_hand must not be negative",
                     "invalid_quantity");
  if (!fits(product, warehouse, on_hand))
    return Error::of(ErrorCode::kInvalidArgument, "on_hand would overflow", "invalid_quantity");
  std::int64_t reserved = 0;
  if (const ProductLevels* p = levels(product))
    for (const auto& w : p->warehouses)
      if (w.warehouse == warehouse) reserved = w.reserved;
  if (on_hand < reserved) {
    return Error::of(
        ErrorCode::kConflict,
        "product " + std::to_string(product) + " has " + std::to_string(reserved) +
            " units reserved in warehouse '" + warehouse + "'",
        "stock_reserved",
        json::dump(boost::json::object{
            {"product_id", product}, {"warehouse", warehouse}, {"reserved", reserved}}));
  }
  level(product, warehouse).on_hand = on_hand;
  return std::nullopt;
}

std::optional<Error> StockLedger::restock(ProductId product, const std::string& warehouse,
                                          std::int64_t units) {
  if (units < 1)
    return Error::of(ErrorCode::kInvalidArgument, "restock must be at least 1", "invalid_quantity");
  // Checked before level() creates anything: a refused restock changes nothing.
  std::int64_t before = 0;
  if (const ProductLevels* p = levels(product))
    for (const auto& w : p->warehouses)
      if (w.warehouse == warehouse) before = w.on_hand;
  std::int64_t restocked = 0;
  if (__builtin_add_overflow(before, units, &restocked) || !fits(product, warehouse, restocked))
    return Error::of(ErrorCode::kInvalidArgument, "on_hand would overflow", "invalid_quantity");
  level(product, warehouse).on_hand = restocked;
  return std::nullopt;
}

std::variant<StockLedger::Held, Error> StockLedger::reserve(const std::string& reservation_id,
                                                            const std::vector<BasketItem>& basket) {
  if (basket.empty())
    return Error::of(ErrorCode::kInvalidArgument, "the basket is empty", "empty_basket");
  if (reservations_.count(reservation_id))
    return Error::of(ErrorCode::kInvalidArgument, "reservation " + reservation_id + " exists",
                     "reservation_exists");
  for (const auto& item : basket) {
    if (item.quantity < 1) {
      return Error::of(
          ErrorCode::kInvalidArgument,
          "quantity of product " + std::to_string(item.product_id) + " must be at least 1",
          "invalid_quantity");
    }
  }
  auto merged = merge_basket(basket);
  if (!merged)
    return Error::of(ErrorCode::kInvalidArgument, "quantity overflows", "invalid_quantity");
  const std::vector<BasketItem>& items = *merged;
  // Decide every item before holding any (S3).
  Held held;
  for (const auto& item : items) {
    auto it = products_.find(item.product_id);
    const std::int64_t available = it == products_.end() ? 0 : it->second.available();
    if (available < item.quantity) {
      return Error::of(ErrorCode::kConflict,
                       "product " + std::to_string(item.product_id) +
                           " is out of stock: " + std::to_string(item.quantity) + " requested, " +
                           std::to_string(available) + " available",
                       "out_of_stock", units_json(item.product_id, item.quantity, available));
    }
    const auto& levels = it->second.warehouses;
    auto whole = std::find_if(levels.begin(), levels.end(), [&](const WarehouseLevel& w) {
      return w.available() >= item.quantity;
    });
    if (whole != levels.end()) {
      held.allocations.push_back({item.product_id, whole->warehouse, item.quantity});
      continue;
    }
    std::int64_t left = item.quantity;
    for (const auto& w : levels) {
      const std::int64_t take = std::min(left, w.available());
      if (take <= 0) continue;
      held.allocations.push_back({item.product_id, w.warehouse, take});
      left -= take;
      if (left == 0) break;
    }
  }
  for (const auto& a : held.allocations) level(a.product_id, a.warehouse).reserved += a.quantity;
  reservations_.emplace(reservation_id, held.allocations);
  return held;
}

// The reservation, removed from the open ones (S4), or why it cannot end.
std::variant<StockLedger::Held, Error> StockLedger::take(const std::string& reservation_id) {
  auto it = reservations_.find(reservation_id);
  if (it == reservations_.end()) {
    return Error::of(ErrorCode::kNotFound,
                     "reservation " + reservation_id + " is not held (unknown, or already ended)",
                     "reservation_not_held");
  }
  Held held{std::move(it->second)};
  reservations_.erase(it);
  return held;
}

std::variant<StockLedger::Held, Error> StockLedger::release(const std::string& reservation_id) {
  auto taken = take(reservation_id);
  if (auto* held = std::get_if<Held>(&taken))
    for (const auto& a : held->allocations) level(a.product_id, a.warehouse).reserved -= a.quantity;
  return taken;
}

std::variant<StockLedger::Held, Error> StockLedger::commit(const std::string& reservation_id) {
  auto taken = take(reservation_id);
  if (auto* held = std::get_if<Held>(&taken)) {
    for (const auto& a : held->allocations) {
      WarehouseLevel& w = level(a.product_id, a.warehouse);
      w.reserved -= a.quantity;
      w.on_hand -= a.quantity;
      products_[a.product_id].sold += a.quantity;
    }
  }
  return taken;
}

std::optional<Error> StockLedger::return_sold(const std::vector<Allocation>& sold) {
  // Checked whole before anything changes (S5, and on_hand's 64 bits): an operator may have set
  // on_hand near the limit since the sale, and a return must then be refused, not wrap.
  const auto overflow = [] {
    return Error::of(ErrorCode::kInvalidArgument, "on_hand would overflow", "invalid_quantity");
  };
  std::unordered_map<ProductId, std::int64_t> per_product;
  for (const auto& a : sold) {
    if (a.quantity < 1)
      return Error::of(ErrorCode::kInvalidArgument, "a returned quantity must be at least 1",
                       "invalid_quantity");
    std::int64_t& units = per_product[a.product_id];
    if (__builtin_add_overflow(units, a.quantity, &units)) return overflow();
  }
  for (const auto& [product, units] : per_product) {
    const ProductLevels* p = levels(product);
    if (!p || p->sold < units) {
      return Error::of(ErrorCode::kConflict,
                       "product " + std::to_string(product) + " has not sold " +
                           std::to_string(units) + " units",
                       "not_sold");
    }
    // The product's whole on_hand after the return fits, so each warehouse's does (fits()).
    std::int64_t total = units;
    for (const auto& w : p->warehouses)
      if (__builtin_add_overflow(total, w.on_hand, &total)) return overflow();
  }
  for (const auto& a : sold) {
    level(a.product_id, a.warehouse).on_hand += a.quantity;
    products_[a.product_id].sold -= a.quantity;
  }
  return std::nullopt;
}

const ProductLevels* StockLedger::levels(ProductId product) const {
  auto it = products_.find(product);
  return it == products_.end() ? nullptr : &it->second;
}

const std::vector<Allocation>* StockLedger::reservation(const std::string& reservation_id) const {
  auto it = reservations_.find(reservation_id);
  return it == reservations_.end() ? nullptr : &it->second;
}

void StockLedger::load_product(ProductId product, ProductLevels levels) {
  for (const auto& w : levels.warehouses) add_warehouse(w.warehouse);
  std::sort(levels.warehouses.begin(), levels.warehouses.end(),
            [this](const WarehouseLevel& a, const WarehouseLevel& b) {
              return rank(a.warehouse) < rank(b.warehouse);
            });
  products_[product] = std::move(levels);
}

void StockLedger::load_reservation(const std::string& reservation_id,
                                   std::vector<Allocation> allocations) {
  reservations_[reservation_id] = std::move(allocations);
}

}  // namespace orderd::commerce
