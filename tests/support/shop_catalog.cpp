#include "support/shop_catalog.hpp"

#include <boost/json.hpp>

namespace orderd::testing {

namespace json = boost::json;

std::string catalog_json(const std::vector<ProductSpec>& products) {
  json::array list;
  for (const auto& p : products)
    list.push_back({{"id", p.id},
                    {"sku", "SKU-" + std::to_string(p.id)},
                    {"name", "Product " + std::to_string(p.id)},
                    {"unit_price", p.unit_price},
                    {"currency", "USD"},
                    {"stock", {{"main", p.main}, {"backup", p.backup}}}});
  json::object doc{
      {"warehouses", json::array{{{"id", "main"}, {"name", "Main"}, {"priority", 1}},
                                 {{"id", "backup"}, {"name", "Backup"}, {"priority", 2}}}},
      {"products", std::move(list)}};
  return json::serialize(doc);
}

}  // namespace orderd::testing
