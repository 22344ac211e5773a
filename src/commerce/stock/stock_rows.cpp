#include "commerce/stock/stock_rows.hpp"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "common/durations.hpp"
#include "common/json_fields.hpp"

namespace orderd::commerce {

std::string reservation_owner(std::int64_t user_id) {
  return "user:" + std::to_string(user_id);
}

std::string reservation_id_for(const std::string& invocation_id) {
  return "res_" + invocation_id.substr(invocation_id.rfind('_') + 1);  // npos + 1 == 0
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const WarehouseLevel& w) {
  v = {{"warehouse", w.warehouse},
       {"on_hand", w.on_hand},
       {"reserved", w.reserved},
       {"sold", w.sold}};
}

WarehouseLevel tag_invoke(boost::json::value_to_tag<WarehouseLevel>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  // "sold": rows from before per-warehouse sold have none (StockLedger::load_product).
  return {json::require_string(o, "warehouse"), json::require_integer(o, "on_hand"),
          json::require_integer(o, "reserved"),
          o.contains("sold") ? json::require_integer(o, "sold") : 0};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ProductLevels& p) {
  v = {{"warehouses", boost::json::value_from(p.warehouses)},
       {"sold", p.sold},
       {"version", p.version}};
}

ProductLevels tag_invoke(boost::json::value_to_tag<ProductLevels>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  ProductLevels p;
  p.warehouses = boost::json::value_to<std::vector<WarehouseLevel>>(o.at("warehouses"));
  p.sold = json::require_integer(o, "sold");
  p.version = o.contains("version") ? json::require_integer(o, "version") : 0;
  return p;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const BasketItem& i) {
  v = {{"product_id", i.product_id}, {"quantity", i.quantity}};
}

BasketItem tag_invoke(boost::json::value_to_tag<BasketItem>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_integer(o, "product_id"), json::require_integer(o, "quantity")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Allocation& a) {
  v = {{"product_id", a.product_id}, {"warehouse", a.warehouse}, {"quantity", a.quantity}};
}

Allocation tag_invoke(boost::json::value_to_tag<Allocation>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_integer(o, "product_id"), json::require_string(o, "warehouse"),
          json::require_integer(o, "quantity")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Reservation& r) {
  v = {{"id", r.id},
       {"owner", r.owner},
       {"order_id", r.order_id},
       {"principal", r.principal},
       {"items", boost::json::value_from(r.items)},
       {"allocations", boost::json::value_from(r.allocations)},
       {"status", r.status},
       {"created_at_ms", r.created_at_ms},
       {"expires_at_ms", r.expires_at_ms},
       {"updated_at_ms", r.updated_at_ms}};
}

Reservation tag_invoke(boost::json::value_to_tag<Reservation>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  Reservation r;
  r.id = json::require_string(o, "id");
  r.owner = json::require_string(o, "owner");
  r.order_id = json::require_string(o, "order_id");
  r.principal = json::optional_string(o, "principal", "");  // rows from before quotas: none
  r.items = boost::json::value_to<std::vector<BasketItem>>(o.at("items"));
  r.allocations = boost::json::value_to<std::vector<Allocation>>(o.at("allocations"));
  r.status = json::require_string(o, "status");
  r.created_at_ms = json::require_integer(o, "created_at_ms");
  r.expires_at_ms = json::require_integer(o, "expires_at_ms");
  r.updated_at_ms = json::require_integer(o, "updated_at_ms");
  return r;
}

boost::json::value stock_view(const ProductLevels* levels) {
  boost::json::array warehouses;
  std::int64_t on_hand = 0, reserved = 0;
  if (levels) {
    for (const auto& w : levels->warehouses) {
      warehouses.push_back({{"warehouse", w.warehouse},
                            {"on_hand", w.on_hand},
                            {"reserved", w.reserved},
                            {"available", w.available()}});
      on_hand += w.on_hand;
      reserved += w.reserved;
    }
  }
  return {{"on_hand", on_hand},
          {"reserved", reserved},
          {"available", on_hand - reserved},
          {"sold", levels ? levels->sold : 0},
          {"warehouses", std::move(warehouses)}};
}

boost::json::value reservation_view(const Reservation& r) {
  boost::json::array items;
  for (const auto& item : r.items) {
    boost::json::array from;
    for (const auto& a : r.allocations)
      if (a.product_id == item.product_id)
        from.push_back({{"warehouse", a.warehouse}, {"quantity", a.quantity}});
    items.push_back({{"product_id", item.product_id},
                     {"quantity", item.quantity},
                     {"allocations", std::move(from)}});
  }
  boost::json::object view{{"id", r.id},
                           {"status", r.status},
                           {"items", std::move(items)},
                           {"created_at", durations::format_rfc3339(r.created_at_ms)},
                           {"updated_at", durations::format_rfc3339(r.updated_at_ms)}};
  view["expires_at"] = r.expires_at_ms > 0
                           ? boost::json::value(durations::format_rfc3339(r.expires_at_ms))
                           : boost::json::value(nullptr);
  view["order_id"] =
      r.order_id.empty() ? boost::json::value(nullptr) : boost::json::value(r.order_id);
  return view;
}

}  // namespace orderd::commerce
