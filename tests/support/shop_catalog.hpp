#pragma once
// The catalog file an end-to-end test gives orderd (--catalog): its own products, in the two
// warehouses every such test uses ("main" first, then "backup").
#include <cstdint>
#include <string>
#include <vector>

namespace orderd::testing {

struct ProductSpec {
  std::int64_t id;
  std::int64_t unit_price;    // cents
  std::int64_t main, backup;  // units on hand in each warehouse
  double weight;              // chance a basket holds it (the test's own use)
};

// The catalog as JSON: product `id` is "SKU-id", "Product id", priced in USD.
std::string catalog_json(const std::vector<ProductSpec>& products);

}  // namespace orderd::testing
