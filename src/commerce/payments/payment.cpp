#include "commerce/payments/payment.hpp"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <cstdio>

#include "common/durations.hpp"
#include "common/json_fields.hpp"

namespace orderd::commerce {

std::string payment_id_for(const std::string& idempotency_key) {
  // "inv_X/12" -> "pay_X_0012"
  const auto slash = idempotency_key.rfind('/');
  const auto underscore = idempotency_key.find('_');
  std::string base = idempotency_key.substr(underscore + 1, slash - underscore - 1);
  char step[16];
  std::snprintf(step, sizeof step, "%04lu",
                std::strtoul(idempotency_key.c_str() + slash + 1, nullptr, 10));
  return "pay_" + base + "_" + step;
}

std::string payment_key(const std::string& order_id, const std::string& payment_id) {
  return order_id + "/" + payment_id;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const GatewayRequest& r) {
  v = {{"type", r.type},     {"order_id", r.order_id}, {"payment_method", r.payment_method},
       {"amount", r.amount}, {"currency", r.currency}, {"authorization", r.authorization}};
}

GatewayRequest tag_invoke(boost::json::value_to_tag<GatewayRequest>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "type"),           json::require_string(o, "order_id"),
          json::require_string(o, "payment_method"), json::require_integer(o, "amount"),
          json::require_string(o, "currency"),       json::require_string(o, "authorization")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const GatewayReply& r) {
  v = {{"status", r.status}, {"reference", r.reference}, {"message", r.message}};
}

GatewayReply tag_invoke(boost::json::value_to_tag<GatewayReply>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "status"), json::require_string(o, "reference"),
          json::require_string(o, "message")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const PaymentRecord& r) {
  v = {{"id", r.id},
       {"order_id", r.order_id},
       {"type", r.type},
       {"status", r.status},
       {"amount", r.amount},
       {"currency", r.currency},
       {"reference", r.reference},
       {"message", r.message},
       {"created_at_ms", r.created_at_ms}};
}

PaymentRecord tag_invoke(boost::json::value_to_tag<PaymentRecord>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "id"),
          json::require_string(o, "order_id"),
          json::require_string(o, "type"),
          json::require_string(o, "status"),
          json::require_integer(o, "amount"),
          json::require_string(o, "currency"),
          json::require_string(o, "reference"),
          json::require_string(o, "message"),
          json::require_integer(o, "created_at_ms")};
}

boost::json::value payment_view(const PaymentRecord& r) {
  boost::json::object view{{"id", r.id},
                           {"order_id", r.order_id},
                           {"type", r.type},
                           {"status", r.status},
                           {"amount", r.amount},
                           {"currency", r.currency},
                           {"gateway_reference", r.reference},
                           {"created_at", durations::format_rfc3339(r.created_at_ms)}};
  view["message"] = r.message.empty() ? boost::json::value(nullptr) : boost::json::value(r.message);
  return view;
}

}  // namespace orderd::commerce
