#pragma once
// The shop: the list of the commerce domain's parts, each one concept with its own tables and
// invariants, and the wiring that registers, loads and attaches them. No decision is made here:
//   catalog   products and warehouses (W1)                 catalog/catalog.hpp
//   stock     the stock ledger, reservations, quotas (Q3)  stock/stock.hpp
//   orders    orders, their index and events               orders/order_book.hpp
//   payments  the gateway and the payment ledger (P1-P3)   payments/payment_desk.hpp
//   outbox    the events every change writes (E1, E2)      events/outbox.hpp
//   reclaim   what ended owners left behind (R1)          orders/order_reclaim.hpp
// The handlers (Catalog, Stock, Reservations, Orders, OrderCancel, OrderReclaim, Payments)
// decide over these parts inside journaled steps: stock/stock_handlers.hpp,
// orders/order_saga.hpp, orders/payment_retry.hpp.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "commerce/catalog/catalog.hpp"
#include "commerce/catalog/catalog_file.hpp"
#include "commerce/events/outbox.hpp"
#include "commerce/orders/order_book.hpp"
#include "commerce/orders/order_reclaim.hpp"
#include "commerce/stock/stock.hpp"
#include "payments/payment_desk.hpp"
#include "store/rows.hpp"

namespace orderd {
class Engine;
class Registry;
class Scheduler;
namespace store {
class Store;
}
}  // namespace orderd

namespace orderd::commerce {

// Every limit and setting of the shop, as the flags set them (server_options.cpp).
struct ShopOptions {
  payments::MockGatewayOptions gateway;
  // Each gateway attempt's limit, and how many attempts an authorization gets before the order
  // fails (payment_unavailable). Captures retry until they succeed.
  std::int64_t payment_timeout_ms = 2000;
  std::uint32_t authorize_attempts = 4;
  // Attempts a void or a refund gets, with backoff, before its payment needs an operator
  // (--compensation-attempts): never closed silently.
  std::uint32_t compensation_attempts = 10;
  // The wait before a refused compensation is sent again, doubling after each refusal.
  std::int64_t compensation_backoff_ms = 1'000;
  // The gateway's circuit breaker: this many consecutive failures open it, and it fails fast
  // for the cooldown, then lets one probe through (--gateway-breaker-failures, -cooldown).
  std::uint32_t breaker_failures = 5;
  std::int64_t breaker_cooldown_ms = 30'000;
  std::int64_t fraud_reject_above = 70;  // the seed's rule
  // How often what killed sagas left behind is looked for (OrderReclaim).
  std::int64_t reclaim_interval_ms = 5000;
  // --max-basket-lines (StockOptions), --max-warehouses (W1).
  std::size_t max_basket_lines = 100;
  std::size_t max_warehouses = 64;
  // --quota-reservations, --quota-reserved-units (Q3).
  std::size_t max_reservations_per_caller = 100;
  std::int64_t max_reserved_units_per_caller = 10'000;
  // The most reservations one expiry run ends (StockOptions::expiry_batch).
  std::size_t expiry_batch = 1000;
};

class Shop {
 public:
  explicit Shop(ShopOptions options);
  Shop(const Shop&) = delete;
  Shop& operator=(const Shop&) = delete;

  // Declares the parts' tables and registers the handlers.
  void register_services(Registry& registry);
  // Rebuilds every part from the rows, before Engine::recover replays anything.
  void load(store::Store& store);
  // The engine the parts read and write through, and its clock, before any handler runs; again
  // after a restart in tests.
  void attach(Engine& engine, Scheduler& scheduler);

  const ShopOptions options;
  Outbox outbox;
  Catalog catalog;
  Stock stock;
  OrderBook orders;
  payments::PaymentDesk payments;
  OrderReclaim reclaim;
};

// The rows that give a fresh store `spec` (Engine::write_rows), already applied to the catalog
// and the stock. Throws std::invalid_argument, before applying anything, for a catalog past
// --max-warehouses (W1) or a stock entry the stock refuses.
std::vector<store::RowWrite> seed_rows(Shop& shop, const CatalogSpec& spec, std::int64_t now_ms);

}  // namespace orderd::commerce
