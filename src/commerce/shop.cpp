#include "commerce/shop.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace orderd::commerce {
namespace {

StockOptions stock_options(const ShopOptions& o) {
  return {o.max_basket_lines, o.max_reservations_per_caller, o.max_reserved_units_per_caller,
          o.expiry_batch};
}

payments::DeskOptions payment_options(const ShopOptions& o) {
  payments::DeskOptions d;
  d.gateway = o.gateway;
  d.breaker = {o.breaker_failures, o.breaker_cooldown_ms};
  d.ledger.compensation_attempts = o.compensation_attempts;
  d.ledger.compensation_backoff_ms = o.compensation_backoff_ms;
  d.timeout_ms = o.payment_timeout_ms;
  d.authorize_attempts = o.authorize_attempts;
  return d;
}

}  // namespace

Shop::Shop(ShopOptions options)
    : options(options),
      catalog(options.max_warehouses),
      stock(stock_options(options), catalog, outbox),
      orders(outbox),
      payments(payment_options(options)),
      reclaim(stock, orders, payments) {}

void Shop::load(store::Store& store) {
  catalog.load(store);
  stock.load(store);
  payments.load(store);
  outbox.load(store);
}

void Shop::attach(Engine& engine, Scheduler& scheduler) {
  stock.attach(engine, scheduler);
  orders.attach(engine);
  payments.attach(engine, scheduler);
  reclaim.attach(engine, scheduler);
}

std::vector<store::RowWrite> seed_rows(Shop& shop, const CatalogSpec& spec, std::int64_t now_ms) {
  // W1: refused whole, before anything is applied (a stock entry's warehouse is in the list).
  std::size_t adding = 0;
  for (const auto& w : spec.warehouses) adding += shop.catalog.warehouses().count(w.id) ? 0 : 1;
  const std::size_t max = shop.catalog.max_warehouses();
  if (shop.catalog.warehouses().size() + adding > max) {
    throw std::invalid_argument(
        "catalog: " + std::to_string(shop.catalog.warehouses().size() + adding) +
        " warehouses, more than --max-warehouses (" + std::to_string(max) + ")");
  }
  WriteSet writes;
  std::vector<Warehouse> warehouses = spec.warehouses;
  std::stable_sort(warehouses.begin(), warehouses.end(),
                   [](const Warehouse& a, const Warehouse& b) { return a.priority < b.priority; });
  for (const auto& w : warehouses)
    if (shop.catalog.add_warehouse(w, writes)) shop.stock.add_warehouse(w.id);
  for (const auto& item : spec.products) {
    Product p = item.product;
    p.created_at_ms = p.updated_at_ms = now_ms;
    shop.catalog.put_product(p, writes);
    for (const auto& [warehouse, units] : item.stock) {
      if (auto error = shop.stock.set_stock(p.id, warehouse, false, units, now_ms, writes))
        throw std::invalid_argument("catalog: " + error->message);
    }
  }
  return writes.take();
}

}  // namespace orderd::commerce
