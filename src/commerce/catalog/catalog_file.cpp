#include "commerce/catalog/catalog_file.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <set>
#include <stdexcept>

#include "common/json_fields.hpp"
#include "common/money.hpp"

namespace orderd::commerce {

CatalogSpec demo_catalog() {
  CatalogSpec spec;
  spec.warehouses = {{"main", "Main warehouse", 1}, {"backup", "Backup warehouse", 2}};
  for (ProductId id = 1; id <= 20; ++id) {
    CatalogSpec::Item item;
    char sku[16];
    std::snprintf(sku, sizeof sku, "DEMO-%04lld", static_cast<long long>(id));
    item.product = {id, sku, "Demo product " + std::to_string(id), 999 + 100 * (id - 1), "USD",
                    0,  0};
    item.stock = {{"main", 300}, {"backup", 200}};
    spec.products.push_back(std::move(item));
  }
  return spec;
}

CatalogSpec parse_catalog(std::string_view json_text) {
  CatalogSpec spec;
  try {
    const boost::json::value doc = boost::json::parse(json_text);
    const auto& root = json::as_object(doc);
    std::set<std::string> warehouse_ids;
    if (const auto* ws = root.if_contains("warehouses")) {
      for (const auto& w : ws->as_array()) {
        const auto& o = json::as_object(w);
        Warehouse warehouse{json::require_string(o, "id"),
                            json::optional_string(o, "name", json::require_string(o, "id")),
                            o.contains("priority")
                                ? json::require_integer(o, "priority")
                                : static_cast<std::int64_t>(spec.warehouses.size() + 1)};
        if (warehouse.id.empty() || !warehouse_ids.insert(warehouse.id).second)
          throw std::invalid_argument("warehouse ids must be unique and non-empty");
        spec.warehouses.push_back(std::move(warehouse));
      }
    }
    std::set<ProductId> product_ids;
    for (const auto& p : root.at("products").as_array()) {
      const auto& o = json::as_object(p);
      CatalogSpec::Item item;
      item.product.id = json::require_integer(o, "id");
      item.product.sku = json::require_string(o, "sku");
      item.product.name = json::require_string(o, "name");
      item.product.unit_price = json::require_integer(o, "unit_price");
      auto currency = parse_currency(json::optional_string(o, "currency", "USD"));
      if (!currency) throw std::invalid_argument("product currency must be an ISO 4217 code");
      item.product.currency = *currency;
      if (item.product.id < 1 || !product_ids.insert(item.product.id).second)
        throw std::invalid_argument("product ids must be unique positive integers");
      if (item.product.unit_price < 0)
        throw std::invalid_argument("unit_price must not be negative");
      if (const auto* stock = o.if_contains("stock")) {
        for (const auto& [warehouse, units] : stock->as_object()) {
          if (!units.is_int64() || units.get_int64() < 0)
            throw std::invalid_argument("stock quantities must be non-negative integers");
          if (!warehouse_ids.count(std::string(warehouse))) {
            warehouse_ids.insert(std::string(warehouse));
            spec.warehouses.push_back({std::string(warehouse), std::string(warehouse),
                                       static_cast<std::int64_t>(spec.warehouses.size() + 1)});
          }
          item.stock.emplace_back(std::string(warehouse), units.get_int64());
        }
      }
      spec.products.push_back(std::move(item));
    }
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("catalog: ") + e.what());
  }
  return spec;
}

}  // namespace orderd::commerce
