#include "commerce/requests.hpp"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "commerce/stock/stock_rows.hpp"
#include "common/json_fields.hpp"

namespace orderd::commerce {

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const PutProduct& r) {
  v = {{"id", r.id},
       {"sku", r.sku},
       {"name", r.name},
       {"unit_price", r.unit_price},
       {"currency", r.currency}};
}
PutProduct tag_invoke(boost::json::value_to_tag<PutProduct>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_integer(o, "id"), json::require_string(o, "sku"),
          json::require_string(o, "name"), json::require_integer(o, "unit_price"),
          json::require_string(o, "currency")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const SetStock& r) {
  v = {{"product_id", r.product_id},
       {"warehouse", r.warehouse},
       {"restock", r.restock},
       {"quantity", r.quantity}};
}
SetStock tag_invoke(boost::json::value_to_tag<SetStock>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_integer(o, "product_id"), json::require_string(o, "warehouse"),
          json::require_bool(o, "restock"), json::require_integer(o, "quantity")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const CreateReservation& r) {
  v = {{"items", boost::json::value_from(r.items)}, {"ttl_ms", r.ttl_ms}, {"owner", r.owner}};
  if (r.quota_exempt) v.as_object()["quota_exempt"] = true;  // absent: as journaled before
}
CreateReservation tag_invoke(boost::json::value_to_tag<CreateReservation>,
                             const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {boost::json::value_to<std::vector<BasketItem>>(o.at("items")),
          json::require_integer(o, "ttl_ms"), json::require_string(o, "owner"),
          o.contains("quota_exempt") && json::require_bool(o, "quota_exempt")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ReservationRef& r) {
  v = {{"id", r.id}, {"ttl_ms", r.ttl_ms}};
}
ReservationRef tag_invoke(boost::json::value_to_tag<ReservationRef>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "id"), json::require_integer(o, "ttl_ms")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const PlaceOrder& r) {
  v = {{"user_id", r.user_id},
       {"items", boost::json::value_from(r.items)},
       {"payment_method", r.payment_method},
       {"currency", r.currency},
       {"destination", r.destination},
       {"carrier", r.carrier},
       {"reservation_id", r.reservation_id}};
}
PlaceOrder tag_invoke(boost::json::value_to_tag<PlaceOrder>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  PlaceOrder r;
  r.user_id = json::require_integer(o, "user_id");
  r.items = boost::json::value_to<std::vector<BasketItem>>(o.at("items"));
  r.payment_method = json::require_string(o, "payment_method");
  r.currency = json::require_string(o, "currency");
  r.destination = json::require_string(o, "destination");
  r.carrier = json::require_string(o, "carrier");
  r.reservation_id = json::require_string(o, "reservation_id");
  return r;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const CancelOrder& r) {
  v = {{"reason", r.reason}};
}
CancelOrder tag_invoke(boost::json::value_to_tag<CancelOrder>, const boost::json::value& v) {
  return {json::optional_string(json::as_object(v), "reason")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ReclaimOrder&) {
  v = boost::json::object{};
}
ReclaimOrder tag_invoke(boost::json::value_to_tag<ReclaimOrder>, const boost::json::value& v) {
  json::as_object(v);  // an object, whatever it holds
  return {};
}

}  // namespace orderd::commerce
