#include "commerce/catalog/catalog.hpp"

#include <algorithm>
#include <boost/json/object.hpp>

#include "commerce/table_rows.hpp"
#include "common/json_writer.hpp"

namespace orderd::commerce {

void Catalog::load(store::Store& store) {
  products_.clear();
  warehouses_.clear();
  scan_all(store, kWarehouses, [&](const store::Row& row) {
    Warehouse w = from_row<Warehouse>(row.value);
    warehouses_[w.id] = std::move(w);
  });
  scan_all(store, kProducts, [&](const store::Row& row) {
    Product p = from_row<Product>(row.value);
    products_[p.id] = std::move(p);
  });
}

const Product* Catalog::product(ProductId id) const {
  auto it = products_.find(id);
  return it == products_.end() ? nullptr : &it->second;
}

std::vector<Warehouse> Catalog::warehouses_by_priority() const {
  std::vector<Warehouse> sorted;
  for (const auto& [id, w] : warehouses_) sorted.push_back(w);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Warehouse& a, const Warehouse& b) {
    return a.priority < b.priority;  // ids already in order within a priority
  });
  return sorted;
}

Product Catalog::put_product(const Product& product, WriteSet& writes) {
  Product stored = product;
  if (const Product* existing = this->product(product.id))
    stored.created_at_ms = existing->created_at_ms;
  writes.put(kProducts, product_key(stored.id), row_json(stored));
  products_[stored.id] = stored;
  return stored;
}

std::optional<Error> Catalog::refuse_new_warehouse(const std::string& id) const {
  if (warehouses_.count(id) || warehouses_.size() < max_warehouses_) return std::nullopt;
  return Error::of(
      ErrorCode::kUnprocessable,
      "warehouse '" + id + "' would be one more than the " + std::to_string(max_warehouses_) +
          " orderd keeps (--max-warehouses)",
      "too_many_warehouses",
      json::dump(boost::json::object{{"warehouse", id}, {"max_warehouses", max_warehouses_}}));
}

bool Catalog::add_warehouse(const Warehouse& warehouse, WriteSet& writes) {
  if (warehouses_.count(warehouse.id)) return false;
  writes.put(kWarehouses, warehouse.id, row_json(warehouse));
  warehouses_[warehouse.id] = warehouse;
  return true;
}

std::int64_t Catalog::next_priority() const {
  std::int64_t priority = 1;
  for (const auto& [id, w] : warehouses_) priority = std::max(priority, w.priority + 1);
  return priority;
}

}  // namespace orderd::commerce
