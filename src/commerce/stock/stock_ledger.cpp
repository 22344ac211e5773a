#include "commerce/stock/stock_ledger.hpp"

#include <algorithm>
#include <boost/json/object.hpp>
#include <charconv>
#include <string_view>
#include <unordered_map>

#include "common/json_writer.hpp"

namespace orderd::commerce {
namespace {

using inventory::HoldLine;
using inventory::ResourceKey;

constexpr std::string_view kStockKind = "stock";

Error overflow() {
  return Error::of(ErrorCode::kInvalidArgument, "on_hand would overflow", "invalid_quantity");
}

Error invalid_warehouse(const std::string& warehouse) {
  return Error::of(ErrorCode::kInvalidArgument, "warehouse '" + warehouse + "' cannot be named",
                   "invalid_warehouse");
}

Error not_held(const std::string& reservation_id) {
  return Error::of(ErrorCode::kNotFound,
                   "reservation " + reservation_id + " is not held (unknown, or already ended)",
                   "reservation_not_held");
}

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

std::optional<ResourceKey> StockLedger::resource_key(ProductId product,
                                                     const std::string& warehouse) {
  return ResourceKey::of(kStockKind, std::to_string(product) + "@" + warehouse);
}

std::optional<Allocation> StockLedger::allocation_of(const HoldLine& line) {
  if (line.resource.kind() != kStockKind) return std::nullopt;
  const std::string_view id = line.resource.id();
  const std::size_t at = id.find('@');  // the product is digits: the first '@' ends it
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  ProductId product = 0;
  const std::string_view digits = id.substr(0, at);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), product);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return Allocation{product, std::string(id.substr(at + 1)), line.quantity};
}

void StockLedger::refresh(ProductId product) {
  ProductLevels& view = products_[product];
  view.warehouses.clear();
  view.sold = 0;
  // In priority order: every warehouse the product has a level in.
  for (const auto& w : warehouse_order_) {
    const auto key = resource_key(product, w);
    const inventory::Levels* l = key ? inventory_.levels(*key) : nullptr;
    if (!l) continue;
    view.warehouses.push_back({w, l->on_hand, l->reserved, l->sold});
    // Fits: commit and load keep a product's sold within 64 bits.
    if (__builtin_add_overflow(view.sold, l->sold, &view.sold)) view.sold = INT64_MAX;
  }
}

const WarehouseLevel* StockLedger::find_level(ProductId product,
                                              const std::string& warehouse) const {
  if (const ProductLevels* p = levels(product))
    for (const auto& w : p->warehouses)
      if (w.warehouse == warehouse) return &w;
  return nullptr;
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
  if (!fits(product, warehouse, on_hand)) return overflow();
  const WarehouseLevel* level = find_level(product, warehouse);
  const std::int64_t reserved = level ? level->reserved : 0;
  if (on_hand < reserved) {  // S1
    return Error::of(
        ErrorCode::kConflict,
        "product " + std::to_string(product) + " has " + std::to_string(reserved) +
            " units reserved in warehouse '" + warehouse + "'",
        "stock_reserved",
        json::dump(boost::json::object{
            {"product_id", product}, {"warehouse", warehouse}, {"reserved", reserved}}));
  }
  const auto key = resource_key(product, warehouse);
  if (!key) return invalid_warehouse(warehouse);
  if (auto error = inventory_.set_on_hand(*key, on_hand)) return error;
  add_warehouse(warehouse);
  refresh(product);
  return std::nullopt;
}

std::optional<Error> StockLedger::restock(ProductId product, const std::string& warehouse,
                                          std::int64_t units) {
  if (units < 1)
    return Error::of(ErrorCode::kInvalidArgument, "restock must be at least 1", "invalid_quantity");
  // Checked before anything is created: a refused restock changes nothing.
  const WarehouseLevel* level = find_level(product, warehouse);
  std::int64_t restocked = 0;
  if (__builtin_add_overflow(level ? level->on_hand : 0, units, &restocked) ||
      !fits(product, warehouse, restocked))
    return overflow();
  const auto key = resource_key(product, warehouse);
  if (!key) return invalid_warehouse(warehouse);
  if (auto error = inventory_.restock(*key, units)) return error;
  add_warehouse(warehouse);
  refresh(product);
  return std::nullopt;
}

std::variant<StockLedger::Held, Error> StockLedger::reserve(const std::string& reservation_id,
                                                            const std::vector<BasketItem>& basket,
                                                            std::string owner,
                                                            std::int64_t expires_at_ms) {
  if (basket.empty())
    return Error::of(ErrorCode::kInvalidArgument, "the basket is empty", "empty_basket");
  if (inventory_.find_hold(reservation_id))
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
  // Where each item comes from, decided on the views (the inventory's levels) before anything
  // is held; the inventory then holds every line or none (S3).
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
  inventory::Hold hold{reservation_id, std::move(owner), expires_at_ms, {}};
  hold.lines.reserve(held.allocations.size());
  for (const auto& a : held.allocations)
    hold.lines.push_back({*resource_key(a.product_id, a.warehouse), a.quantity});  // has a level
  if (auto error = inventory_.hold(std::move(hold))) return std::move(*error);
  for (const auto& item : items) refresh(item.product_id);
  return held;
}

std::variant<StockLedger::Held, Error> StockLedger::end(const std::string& reservation_id,
                                                        bool sold) {
  const inventory::Hold* hold = inventory_.find_hold(reservation_id);
  if (!hold) return not_held(reservation_id);  // S4
  if (sold) {
    // A product's sold stays within 64 bits (its view's sum), checked whole before the commit.
    std::unordered_map<ProductId, std::int64_t> after;
    for (const auto& line : hold->lines) {
      const auto a = allocation_of(line);
      if (!a) continue;
      auto [at, first] = after.try_emplace(a->product_id, 0);
      if (first) at->second = levels(a->product_id) ? levels(a->product_id)->sold : 0;
      if (__builtin_add_overflow(at->second, a->quantity, &at->second))
        return Error::of(ErrorCode::kInvalidArgument, "sold would overflow", "invalid_quantity");
    }
  }
  auto ended = sold ? inventory_.commit(reservation_id) : inventory_.release(reservation_id);
  if (auto* error = std::get_if<Error>(&ended)) return std::move(*error);
  allocation_views_.erase(reservation_id);
  Held held;
  for (const auto& line : std::get<inventory::Hold>(ended).lines)
    if (auto a = allocation_of(line)) held.allocations.push_back(std::move(*a));
  for (const auto& a : held.allocations) refresh(a.product_id);
  return held;
}

std::variant<StockLedger::Held, Error> StockLedger::release(const std::string& reservation_id) {
  return end(reservation_id, /*sold=*/false);
}

std::variant<StockLedger::Held, Error> StockLedger::commit(const std::string& reservation_id) {
  return end(reservation_id, /*sold=*/true);
}

std::optional<Error> StockLedger::return_sold(const std::vector<Allocation>& sold) {
  // Checked whole before anything changes (S5, and on_hand's 64 bits): an operator may have set
  // on_hand near the limit since the sale, and a return must then be refused, not wrap. Per
  // product here; per warehouse by the inventory (I5), which also refuses whole.
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
  std::vector<HoldLine> lines;
  lines.reserve(sold.size());
  for (const auto& a : sold) {
    auto key = resource_key(a.product_id, a.warehouse);
    if (!key) return invalid_warehouse(a.warehouse);
    lines.push_back({std::move(*key), a.quantity});
  }
  if (auto error = inventory_.return_sold(lines)) return error;
  for (const auto& [product, units] : per_product) refresh(product);
  return std::nullopt;
}

std::optional<Error> StockLedger::set_expiry(const std::string& reservation_id,
                                             std::int64_t expires_at_ms) {
  return inventory_.set_expiry(reservation_id, expires_at_ms);
}

const ProductLevels* StockLedger::levels(ProductId product) const {
  auto it = products_.find(product);
  return it == products_.end() ? nullptr : &it->second;
}

const std::vector<Allocation>* StockLedger::reservation(const std::string& reservation_id) const {
  const inventory::Hold* hold = inventory_.find_hold(reservation_id);
  if (!hold) return nullptr;
  auto [it, made] = allocation_views_.try_emplace(reservation_id);
  if (made)
    for (const auto& line : hold->lines)
      if (auto a = allocation_of(line)) it->second.push_back(std::move(*a));
  return &it->second;
}

void StockLedger::load_product(ProductId product, ProductLevels levels) {
  for (const auto& w : levels.warehouses) add_warehouse(w.warehouse);
  // A row from before per-warehouse sold: the product's sold goes to its first warehouse in
  // priority order, so returns of it stay possible (S5 per product holds as before).
  std::int64_t attributed = 0;
  for (const auto& w : levels.warehouses)
    if (__builtin_add_overflow(attributed, w.sold, &attributed)) attributed = INT64_MAX;
  WarehouseLevel* first = nullptr;
  for (const auto& name : warehouse_order_) {
    for (auto& w : levels.warehouses)
      if (w.warehouse == name) first = &w;
    if (first) break;
  }
  if (first && levels.sold > attributed) first->sold += levels.sold - attributed;
  for (const auto& w : levels.warehouses)
    if (auto key = resource_key(product, w.warehouse))
      (void)inventory_.load_level(*key, w.on_hand, w.sold);  // negative: the row is not loaded
  refresh(product);
  products_[product].version = levels.version;
}

std::optional<Error> StockLedger::load_reservation(const std::string& reservation_id,
                                                   std::vector<Allocation> allocations,
                                                   std::string owner, std::int64_t expires_at_ms) {
  inventory::Hold hold{reservation_id, std::move(owner), expires_at_ms, {}};
  for (const auto& a : allocations) {
    auto key = resource_key(a.product_id, a.warehouse);
    if (!key) return invalid_warehouse(a.warehouse);
    hold.lines.push_back({std::move(*key), a.quantity});
  }
  if (auto error = inventory_.load_hold(std::move(hold))) return error;
  allocation_views_.erase(reservation_id);
  for (const auto& a : allocations) refresh(a.product_id);
  return std::nullopt;
}

}  // namespace orderd::commerce
