#include "services/order_types.hpp"

#include <boost/json/value.hpp>
#include <cstdio>

#include "common/json_fields.hpp"

namespace orderd::services {

OrderRequest tag_invoke(boost::json::value_to_tag<OrderRequest>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  OrderRequest r;
  r.userId = json::require_string(o, "userId");
  r.productId = json::require_string(o, "productId");
  r.quantity = static_cast<long>(json::require_integer(o, "quantity"));
  r.amount = json::require_number(o, "amount");
  r.weight = json::require_number(o, "weight");
  r.destination = json::require_string(o, "destination");
  if (r.userId.empty()) throw json::InvalidField("userId", "must not be empty");
  if (r.productId.empty()) throw json::InvalidField("productId", "must not be empty");
  if (r.quantity <= 0) throw json::InvalidField("quantity", "must be a positive integer");
  if (r.amount < 0) throw json::InvalidField("amount", "must not be negative");
  if (r.weight < 0) throw json::InvalidField("weight", "must not be negative");
  return r;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const OrderRequest& r) {
  v = {{"userId", r.userId}, {"productId", r.productId}, {"quantity", r.quantity},
       {"amount", r.amount}, {"weight", r.weight},       {"destination", r.destination}};
}

OrderResult tag_invoke(boost::json::value_to_tag<OrderResult>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  OrderResult r;
  r.orderId = json::require_string(o, "orderId");
  r.status = json::require_string(o, "status");
  r.processingTimeMs = json::require_integer(o, "processingTimeMs");
  r.details = json::require_string(o, "details");
  r.voidedTransactionId = json::optional_string(o, "voidedTransactionId");
  return r;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const OrderResult& r) {
  boost::json::object o{{"orderId", r.orderId},
                        {"status", r.status},
                        {"processingTimeMs", r.processingTimeMs},
                        {"details", r.details}};
  if (!r.voidedTransactionId.empty()) o["voidedTransactionId"] = r.voidedTransactionId;
  v = std::move(o);
}

std::string format_money(double amount) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "$%.2f", amount);
  return buf;
}

}  // namespace orderd::services
