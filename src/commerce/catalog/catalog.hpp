#pragma once
// The catalog: products and the warehouses stock is kept in, in memory on the engine thread and
// written through journaled steps (rows beside them in the same commit). A restart rebuilds it
// from the rows (load).
//
// W1. No write adds a warehouse past max_warehouses (refuse_new_warehouse, checked by every
//     path that names a new one). A store holding more (the limit lowered since) keeps them
//     all; only new ones are refused.
//
// Tables: products  product_key(id) -> Product;  warehouses  id -> Warehouse.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "commerce/catalog/product.hpp"
#include "common/error.hpp"
#include "engine/write_set.hpp"

namespace orderd::store {
class Store;
}

namespace orderd::commerce {

class Catalog {
 public:
  static constexpr const char* kProducts = "products";
  static constexpr const char* kWarehouses = "warehouses";

  explicit Catalog(std::size_t max_warehouses) : max_warehouses_(max_warehouses) {}
  void load(store::Store& store);

  bool empty() const { return products_.empty() && warehouses_.empty(); }
  const std::map<ProductId, Product>& products() const { return products_; }
  const Product* product(ProductId id) const;
  const std::map<std::string, Warehouse>& warehouses() const { return warehouses_; }
  // Best priority first (ties by id): the order holds draw from them.
  std::vector<Warehouse> warehouses_by_priority() const;

  // Stores the product (keeping its created_at when it exists).
  Product put_product(const Product& product, WriteSet& writes);
  // W1: the refusal of a warehouse orderd does not know yet, if it would be one too many
  // (unprocessable, too_many_warehouses); nullopt for a known one or within the limit.
  std::optional<Error> refuse_new_warehouse(const std::string& id) const;
  // Adds it if new; true if it was.
  bool add_warehouse(const Warehouse& warehouse, WriteSet& writes);
  // The priority of a warehouse added after every known one.
  std::int64_t next_priority() const;
  std::size_t max_warehouses() const { return max_warehouses_; }

 private:
  std::size_t max_warehouses_;
  std::map<ProductId, Product> products_;
  std::map<std::string, Warehouse> warehouses_;
};

}  // namespace orderd::commerce
