#pragma once
// A product of the catalog and a warehouse stock is kept in: the shop's reference data, small
// enough to live in memory (Shop) and written through journaled steps like everything else.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>

namespace orderd::commerce {

using ProductId = std::int64_t;

struct Product {
  ProductId id = 0;
  std::string sku;
  std::string name;
  std::int64_t unit_price = 0;  // integer minor units of `currency`
  std::string currency;         // ISO 4217, upper case
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct Warehouse {
  std::string id;  // "main"
  std::string name;
  std::int64_t priority = 0;  // reservations draw from the lowest number first
};

// The stored row (timestamps in milliseconds).
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Product& p);
Product tag_invoke(boost::json::value_to_tag<Product>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Warehouse& w);
Warehouse tag_invoke(boost::json::value_to_tag<Warehouse>, const boost::json::value& v);

// Keys sort as the ids do: 20 zero-padded digits (ids are positive).
std::string product_key(ProductId id);

}  // namespace orderd::commerce
