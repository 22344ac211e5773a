#pragma once
// A catalog to start a fresh store with: warehouses, products and their stock. `make run`
// loads the demo catalog; `--catalog FILE` loads one of these:
//   {"warehouses": [{"id": "main", "name": "Main", "priority": 1}, ...],
//    "products": [{"id": 1, "sku": "SKU-1", "name": "Mug", "unit_price": 1999,
//                  "currency": "USD", "stock": {"main": 300, "backup": 200}}, ...]}
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commerce/catalog/product.hpp"

namespace orderd::commerce {

struct CatalogSpec {
  struct Item {
    Product product;
    std::vector<std::pair<std::string, std::int64_t>> stock;  // warehouse, on hand
  };
  std::vector<Warehouse> warehouses;
  std::vector<Item> products;
};

// Products 1..20 in warehouses "main" (300 units each) and "backup" (200), in USD.
CatalogSpec demo_catalog();
// Throws std::invalid_argument naming what is wrong.
CatalogSpec parse_catalog(std::string_view json_text);

}  // namespace orderd::commerce
