#pragma once
// The shop: the commerce domain's state on the engine thread (the catalog, the stock ledger, the
// open reservations), its tables, and the handlers that change them. Every change is made inside
// a journaled step (Context::transact) that writes the changed rows in the same transaction, so
// memory is what the durable rows say plus decisions whose rows are in the group commit under
// way (docs/ARCHITECTURE.md, "Domain tables"); a restart rebuilds memory from the rows (load).
//
// W1. No write adds a warehouse past options.max_warehouses (set_stock refuses, seed throws). A
//     store holding more (the limit lowered since) keeps them all; only new ones are refused.
// Q3. A principal's holding is the number of its held API reservations that no order has taken
//     over (Reservation::principal non-empty, order_id empty), and the units in them: counted
//     whenever such a reservation enters or leaves held_ or is adopted (reserve, end_reservation,
//     adopt) and rebuilt from the held rows at load, so it always equals what held_ says and each
//     reservation leaves it exactly once; a principal holding nothing has no entry.
//     Reservations/create refuses, inside its journaled step, a reservation that would take its
//     caller past max_reservations_per_caller or max_reserved_units_per_caller (429
//     quota_reservations, quota_reserved_units), unless the request is quota_exempt (an admin's)
//     or anonymous (authentication off).
//
// Tables (keys sort as the scans need them):
//   products           product_key(id)                       -> Product
//   warehouses         id                                    -> Warehouse
//   stock              product_key(id)                       -> ProductLevels
//   held_reservations  reservation id                        -> Reservation (open ones only)
//   reservations       reservation id                        -> Reservation (the API's, any state)
//   orders             order id (sorts by creation time)     -> Order
//   order_index        u/<user>/<order>, us/<user>/<status>/<order>, s/<status>/<order> -> ""
//   payments           <order id>/<payment id>               -> PaymentRecord
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "commerce/catalog/catalog_file.hpp"
#include "commerce/events/outbox.hpp"
#include "commerce/orders/order.hpp"
#include "commerce/payments/mock_gateway.hpp"
#include "commerce/stock/stock_ledger.hpp"
#include "commerce/stock/stock_rows.hpp"
#include "engine/run_policy.hpp"
#include "engine/write_set.hpp"
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

struct ShopOptions {
  GatewayOptions gateway;
  // Each gateway attempt's limit, and how many attempts an authorization gets before the order
  // fails (payment_unavailable). Captures, voids and refunds retry until they succeed.
  std::int64_t payment_timeout_ms = 2000;
  std::uint32_t authorize_attempts = 4;
  std::int64_t fraud_reject_above = 70;  // the seed's rule
  // How often stock held for killed orders is looked for (Shop::reclaim_abandoned).
  std::int64_t reclaim_interval_ms = 5000;
  // The lines a basket may have (--max-basket-lines): more are refused before any is read or
  // merged, by the API and by the handlers that take a basket (Orders/place,
  // Reservations/create), with too_many_items.
  std::size_t max_basket_lines = 100;
  // The warehouses there may be (--max-warehouses): a stock write naming one more is refused
  // (too_many_warehouses), and so is a catalog with more at start.
  std::size_t max_warehouses = 64;
  // Quotas: the open API reservations, and the units held in them, one authenticated principal
  // may have at once (--quota-reservations, --quota-reserved-units); past them 429 with its own
  // code. Admins and open callers have none.
  std::size_t max_reservations_per_caller = 100;
  std::int64_t max_reserved_units_per_caller = 10'000;
};

class Shop {
 public:
  explicit Shop(ShopOptions options);
  ~Shop();
  Shop(const Shop&) = delete;
  Shop& operator=(const Shop&) = delete;

  // Declares the tables and registers Catalog, Stock, Reservations, Orders and OrderCancel.
  void register_services(Registry& registry);
  // Rebuilds memory from the rows, before Engine::recover replays anything.
  void load(store::Store& store);
  // The engine it runs in (durable reads) and its clock (the gateway's latency), before any
  // handler runs; again after a restart in tests.
  void attach(Engine& engine, Scheduler& scheduler);
  Engine& engine() const { return *engine_; }

  // A fresh store gets `spec`: the rows to write (Engine::write_rows), already applied to memory.
  bool has_catalog() const { return !products_.empty() || !warehouses_.empty(); }
  std::vector<store::RowWrite> seed(const CatalogSpec& spec, std::int64_t now_ms);

  const ShopOptions& options() const { return options_; }
  // The refusal of a basket of `lines` lines, over options.max_basket_lines (invalid_argument,
  // too_many_items, naming the limit); nullopt within it. The one check every path makes.
  std::optional<Error> refuse_basket_size(std::size_t lines) const;
  const std::map<ProductId, Product>& products() const { return products_; }
  const Product* product(ProductId id) const;
  const std::map<std::string, Warehouse>& warehouses() const { return warehouses_; }
  const StockLedger& ledger() const { return ledger_; }
  // The outbox every change writes its event through (EventFeed listens to it).
  Outbox& outbox() { return outbox_; }
  const Reservation* held(const std::string& reservation_id) const;
  // What one principal holds (Q3).
  struct Holding {
    std::size_t reservations = 0;
    std::int64_t units = 0;
  };
  Holding holding_of(const std::string& principal) const;
  std::size_t holders() const { return holdings_.size(); }
  // The refusal of one more reservation of `items` by `principal`, past its quotas (429
  // quota_reservations or quota_reserved_units, naming the quota); nullopt within them.
  std::optional<Error> refuse_quota(const std::string& principal,
                                    const std::vector<BasketItem>& items) const;
  std::shared_ptr<MockGateway> gateway() const { return gateway_; }
  RunPolicy authorize_policy() const;
  RunPolicy settle_policy() const;  // capture, void, refund: until they succeed

  // The domain's decisions, each inside a transact step: memory changes only on success.
  Product put_product(const Product& product, WriteSet& writes);
  std::optional<Error> set_stock(ProductId product, const std::string& warehouse, bool restock,
                                 std::int64_t quantity, std::int64_t now_ms, WriteSet& writes);
  std::variant<Reservation, Error> reserve(Reservation reservation, WriteSet& writes);
  // Ends a held reservation: released (or expired) returns its units, committed sells them.
  std::variant<Reservation, Error> end_reservation(const std::string& id, const std::string& status,
                                                   std::int64_t now_ms, WriteSet& writes);
  // An order takes over a held reservation: it no longer expires.
  std::variant<Reservation, Error> adopt(const std::string& id, const std::string& order_id,
                                         std::int64_t now_ms, WriteSet& writes);
  std::optional<Error> return_sold(const std::vector<Allocation>& sold, const std::string& order_id,
                                   std::int64_t now_ms, WriteSet& writes);
  // An order's event (`type`, the order's snapshot after the change): bumps its event_version.
  void order_event(Order& order, std::string_view type, std::int64_t now_ms, WriteSet& writes);
  // Writes the order and moves its index entries from `previous` (nullopt: a new order).
  void write_order(const Order& order, std::optional<OrderStatus> previous, WriteSet& writes) const;
  void write_payment(const PaymentRecord& record, WriteSet& writes) const;

  // Stock an order's saga can no longer release: held for an order whose invocation ended
  // without ending it (an operator killed it: no compensation runs). Releases it and stores the
  // order failed (order_killed), outside any invocation; returns how many it reclaimed. The
  // authorization of such an order is not voided: its saga was told to do nothing more.
  std::size_t reclaim_abandoned();
  // Runs reclaim_abandoned every `interval_ms` on the engine thread (serve starts it).
  void reclaim_every(std::int64_t interval_ms);

  // Durable reads (point reads on the engine thread).
  std::optional<Order> read_order(const std::string& order_id) const;
  std::optional<Reservation> read_reservation(const std::string& id) const;

  // Order listing keys (order_index).
  static std::string user_index_prefix(std::int64_t user_id);
  static std::string user_status_index_prefix(std::int64_t user_id, OrderStatus status);
  static std::string status_index_prefix(OrderStatus status);

  static constexpr const char* kProducts = "products";
  static constexpr const char* kWarehouses = "warehouses";
  static constexpr const char* kStock = "stock";
  static constexpr const char* kHeld = "held_reservations";
  static constexpr const char* kReservations = "reservations";
  static constexpr const char* kOrders = "orders";
  static constexpr const char* kOrderIndex = "order_index";
  static constexpr const char* kPayments = "payments";
  static constexpr const char* kEvents = Outbox::kTable;

 private:
  // Writes the levels of `products` (each once) and a stock event for each (E2).
  void stock_moved(std::vector<ProductId> products, std::string_view type,
                   const std::string& reference, std::int64_t now_ms, WriteSet& writes);
  void add_warehouse(const Warehouse& warehouse, WriteSet& writes);
  // Q3: a held reservation enters (+1) or leaves (-1) its principal's holding, if it counts.
  void count_holding(const Reservation& reservation, int direction);

  ShopOptions options_;
  std::shared_ptr<MockGateway> gateway_;
  Engine* engine_ = nullptr;
  Scheduler* scheduler_ = nullptr;
  std::uint64_t reclaim_timer_ = 0;
  std::map<ProductId, Product> products_;
  std::map<std::string, Warehouse> warehouses_;
  StockLedger ledger_;
  Outbox outbox_;
  std::unordered_map<std::string, Reservation> held_;
  std::unordered_map<std::string, Holding> holdings_;  // by principal (Q3)
};

}  // namespace orderd::commerce
