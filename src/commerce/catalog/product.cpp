#include "commerce/catalog/product.hpp"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <cstdio>

#include "common/json_fields.hpp"

namespace orderd::commerce {

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Product& p) {
  v = {{"id", p.id},
       {"sku", p.sku},
       {"name", p.name},
       {"unit_price", p.unit_price},
       {"currency", p.currency},
       {"created_at_ms", p.created_at_ms},
       {"updated_at_ms", p.updated_at_ms}};
}

Product tag_invoke(boost::json::value_to_tag<Product>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_integer(o, "id"),           json::require_string(o, "sku"),
          json::require_string(o, "name"),          json::require_integer(o, "unit_price"),
          json::require_string(o, "currency"),      json::require_integer(o, "created_at_ms"),
          json::require_integer(o, "updated_at_ms")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Warehouse& w) {
  v = {{"id", w.id}, {"name", w.name}, {"priority", w.priority}};
}

Warehouse tag_invoke(boost::json::value_to_tag<Warehouse>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "id"), json::require_string(o, "name"),
          json::require_integer(o, "priority")};
}

std::string product_key(ProductId id) {
  char key[24];
  std::snprintf(key, sizeof key, "%020lld", static_cast<long long>(id));
  return key;
}

}  // namespace orderd::commerce
