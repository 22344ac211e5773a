#pragma once
// The stock ledger: every product's quantities per warehouse, and the reservations held against
// them. Pure logic, no I/O: the stock service decides with it on the engine thread, in arrival
// order, inside the journaled step (Context::transact) that writes the changed rows, so a
// decision and its rows commit together and a hot product never waits for a commit between two
// buyers (docs/ARCHITECTURE.md, "Domain tables").
//
// The quantities and the holds live in an inventory::Inventory (inventory/inventory.hpp, I1-I8):
// a product in a warehouse is the resource "stock/<product>@<warehouse>", a reservation is a
// hold. What the ledger adds is the shop's own: warehouse priority (where a basket's units come
// from), per-product views (ProductLevels, their event version) and the per-product checks.
//
// Invariants, kept by every operation (each either applies whole or changes nothing):
//  S1. 0 <= reserved <= on_hand for every (product, warehouse); available = on_hand - reserved.
//  S2. available + reserved + sold == initial on_hand + restocked - removed, per product, where
//      `removed` is what an operator's set took away.
//  S3. A reservation is all or nothing: every item of its basket is held, or none is.
//  S4. A reservation ends once: committed (its units sold) or released (returned), never both.
//  S5. Units come back from a sale (a refunded order's) at most as many as were sold there: in
//      that warehouse (the inventory's I5) and for the product. A return that would take
//      on_hand (or a product's total) past 64 bits is refused whole.
// S1, S3 and S4 are the inventory's I1, I3 and I4; S2 is its I2 summed over a product's
// warehouses (each warehouse's supply counted once).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "commerce/catalog/product.hpp"
#include "common/error.hpp"
#include "inventory/inventory.hpp"

namespace orderd::commerce {

struct WarehouseLevel {
  std::string warehouse;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;
  std::int64_t sold = 0;  // sold from this warehouse (a return goes back where it came from)
  std::int64_t available() const { return on_hand - reserved; }
};

struct ProductLevels {
  std::vector<WarehouseLevel> warehouses;  // in warehouse priority order
  std::int64_t sold = 0;                   // over all warehouses
  std::int64_t version = 0;                // its stock events so far (events/outbox.hpp, E2)
  std::int64_t on_hand() const;
  std::int64_t reserved() const;
  std::int64_t available() const { return on_hand() - reserved(); }
};

struct BasketItem {
  ProductId product_id = 0;
  std::int64_t quantity = 0;
  bool operator==(const BasketItem&) const = default;
};

// Units of one product held in one warehouse.
struct Allocation {
  ProductId product_id = 0;
  std::string warehouse;
  std::int64_t quantity = 0;
  bool operator==(const Allocation&) const = default;
};

// The basket with one line per product, in the order products first appear, quantities summed;
// nullopt if a sum overflows. A product named twice is one item everywhere: in the ledger, in a
// reservation, in an order. Linear in the basket's lines (callers cap them first:
// ShopOptions::max_basket_lines).
std::optional<std::vector<BasketItem>> merge_basket(const std::vector<BasketItem>& basket);

class StockLedger {
 public:
  // Warehouses in the order reservations draw from them (best priority first). A warehouse named
  // for the first time elsewhere joins at the end.
  void add_warehouse(std::string name);
  const std::vector<std::string>& warehouses() const { return warehouse_order_; }

  // Operator writes. set_on_hand may not go below what is reserved there (S1): an error names
  // the reserved quantity. Both create the product's level in that warehouse if missing.
  std::optional<Error> set_on_hand(ProductId product, const std::string& warehouse,
                                   std::int64_t on_hand);
  std::optional<Error> restock(ProductId product, const std::string& warehouse, std::int64_t units);

  // Holds every item of the basket under `reservation_id`, or nothing (S3). Each item comes
  // from the best-priority warehouse that has all of it, else split across warehouses in
  // priority order. Repeated products are summed. Errors: invalid_argument (a quantity < 1, an
  // empty basket, an id in use), conflict/out_of_stock naming the first product short (details:
  // product_id, requested, available). `owner` and `expires_at_ms` are the hold's (0: never).
  struct Held {
    std::vector<Allocation> allocations;
  };
  std::variant<Held, Error> reserve(const std::string& reservation_id,
                                    const std::vector<BasketItem>& basket, std::string owner = {},
                                    std::int64_t expires_at_ms = 0);
  // Ends a reservation (S4). Errors: not_found for an unknown id (or one already ended).
  std::variant<Held, Error> release(const std::string& reservation_id);
  std::variant<Held, Error> commit(const std::string& reservation_id);
  // Puts sold units back on hand where they were taken from (a cancelled, refunded sale). All or
  // nothing: an error (conflict) when a product has sold fewer units than it would take back (S5).
  std::optional<Error> return_sold(const std::vector<Allocation>& sold);
  // When the reservation's hold expires (0: never, once an order has taken it over).
  std::optional<Error> set_expiry(const std::string& reservation_id, std::int64_t expires_at_ms);

  const ProductLevels* levels(ProductId product) const;
  // The next version of the product's stock events (E2); the product must have levels.
  std::int64_t next_version(ProductId product) { return ++products_[product].version; }
  const std::vector<Allocation>* reservation(const std::string& reservation_id) const;
  std::size_t open_reservations() const { return inventory_.holds().size(); }

  // Loading from the store at start: a product's levels, then the open reservations, as
  // written. `reserved` is not taken from a product's row: the reservations loaded make it (the
  // inventory's I7). A row from before per-warehouse `sold` has its product's sold counted in
  // its first warehouse. A reservation the levels cannot carry is refused (nothing loaded).
  void load_product(ProductId product, ProductLevels levels);
  std::optional<Error> load_reservation(const std::string& reservation_id,
                                        std::vector<Allocation> allocations, std::string owner = {},
                                        std::int64_t expires_at_ms = 0);

  // The holds and levels beneath (the reclaim reads holds and owners, expiry from here).
  const inventory::Inventory& inventory() const { return inventory_; }
  // "stock/<product>@<warehouse>"; nullopt for a warehouse name no key can carry (a control
  // character, which no warehouse id has).
  static std::optional<inventory::ResourceKey> resource_key(ProductId product,
                                                            const std::string& warehouse);
  // The allocation a stock hold line stands for; nullopt for a line of another kind.
  static std::optional<Allocation> allocation_of(const inventory::HoldLine& line);

 private:
  // The product's view, rebuilt from the inventory after anything changed it.
  void refresh(ProductId product);
  std::variant<Held, Error> end(const std::string& reservation_id, bool sold);
  bool fits(ProductId product, const std::string& warehouse, std::int64_t on_hand) const;
  const WarehouseLevel* find_level(ProductId product, const std::string& warehouse) const;

  inventory::Inventory inventory_;
  std::vector<std::string> warehouse_order_;
  // Views of the inventory's levels per product, and each product's event version.
  std::unordered_map<ProductId, ProductLevels> products_;
  // reservation()'s answers, made on demand from the holds and dropped when a hold ends.
  mutable std::unordered_map<std::string, std::vector<Allocation>> allocation_views_;
};

}  // namespace orderd::commerce
