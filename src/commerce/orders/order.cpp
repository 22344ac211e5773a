#include "commerce/orders/order.hpp"

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <stdexcept>

#include "common/durations.hpp"
#include "common/json_fields.hpp"
#include "common/json_writer.hpp"

namespace orderd::commerce {
namespace {

// A stored state orderd does not know is a corrupt row, refused like any other malformed field.
template <class Parse>
auto parse_or_throw(Parse parse, const std::string& text) {
  auto value = parse(text);
  if (!value) throw std::invalid_argument("unknown order state '" + text + "'");
  return *value;
}

}  // namespace

Error Order::failure() const {
  auto category = error_code_from_string(failure_category).value_or(ErrorCode::kInternal);
  return Error::of(category, failure_reason, failure_code, failure_details);
}

std::string order_id_for(const std::string& invocation_id) {
  return "ord_" + invocation_id.substr(invocation_id.rfind('_') + 1);
}

std::string invocation_id_for(const std::string& order_id) {
  return "inv_" + order_id.substr(4);
}

bool is_order_id(const std::string& text) {
  if (text.size() != 30 || text.compare(0, 4, "ord_") != 0) return false;
  for (std::size_t i = 4; i < text.size(); ++i) {
    const char c = text[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

void touch(Order& order, std::int64_t now_ms) {
  ++order.version;
  order.updated_at_ms = std::max(order.updated_at_ms, now_ms);
}

void fail(Order& order, const Error& why, std::int64_t now_ms) {
  const bool cancel = why.code == ErrorCode::kCancelled;
  OrderStatus status = order.status;
  FulfillmentStatus fulfillment = order.fulfillment_status;
  advance(status, cancel ? OrderStatus::kCancelled : OrderStatus::kFailed);
  if (cancel) advance(fulfillment, FulfillmentStatus::kCancelled);
  order.status = status;
  order.fulfillment_status = fulfillment;
  order.failure_code = std::string(why.reason_or_category());
  order.failure_category = std::string(to_string(why.code));
  order.failure_reason = why.message;
  order.failure_details = why.details;
  touch(order, now_ms);
}

void confirm(Order& order, std::int64_t now_ms) {
  // Both axes checked before either moves: a refused transition leaves the order whole.
  OrderStatus status = order.status;
  PaymentStatus payment = order.payment_status;
  advance(status, OrderStatus::kConfirmed);
  advance(payment, PaymentStatus::kCaptured);
  order.status = status;
  order.payment_status = payment;
  touch(order, now_ms);
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const OrderItem& i) {
  v = {{"product_id", i.product_id},
       {"sku", i.sku},
       {"name", i.name},
       {"quantity", i.quantity},
       {"unit_price", i.unit_price},
       {"allocations", boost::json::value_from(i.allocations)}};
}

OrderItem tag_invoke(boost::json::value_to_tag<OrderItem>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  OrderItem i;
  i.product_id = json::require_integer(o, "product_id");
  i.sku = json::require_string(o, "sku");
  i.name = json::require_string(o, "name");
  i.quantity = json::require_integer(o, "quantity");
  i.unit_price = json::require_integer(o, "unit_price");
  i.allocations = boost::json::value_to<std::vector<Allocation>>(o.at("allocations"));
  return i;
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ShippingQuote& q) {
  v = {{"destination", q.destination},
       {"carrier", q.carrier},
       {"cost", q.cost},
       {"estimated_days", q.estimated_days}};
}

ShippingQuote tag_invoke(boost::json::value_to_tag<ShippingQuote>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  return {json::require_string(o, "destination"), json::require_string(o, "carrier"),
          json::require_integer(o, "cost"), json::require_integer(o, "estimated_days")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Order& o) {
  boost::json::object row{{"id", o.id},
                          {"user_id", o.user_id},
                          {"items", boost::json::value_from(o.items)},
                          {"currency", o.currency},
                          {"subtotal_amount", o.subtotal_amount},
                          {"shipping", boost::json::value_from(o.shipping)},
                          {"total_amount", o.total_amount},
                          {"payment_method", o.payment_method},
                          {"reservation_id", o.reservation_id},
                          {"status", to_string(o.status)},
                          {"payment_status", to_string(o.payment_status)},
                          {"fulfillment_status", to_string(o.fulfillment_status)},
                          {"failure_code", o.failure_code},
                          {"failure_category", o.failure_category},
                          {"failure_reason", o.failure_reason},
                          {"failure_details", o.failure_details},
                          {"payment_reference", o.payment_reference},
                          {"created_at_ms", o.created_at_ms},
                          {"updated_at_ms", o.updated_at_ms},
                          {"version", o.version},
                          {"event_version", o.event_version}};
  if (o.risk_score) row["risk_score"] = *o.risk_score;
  v = std::move(row);
}

Order tag_invoke(boost::json::value_to_tag<Order>, const boost::json::value& v) {
  const auto& o = json::as_object(v);
  Order r;
  r.id = json::require_string(o, "id");
  r.user_id = json::require_integer(o, "user_id");
  r.items = boost::json::value_to<std::vector<OrderItem>>(o.at("items"));
  r.currency = json::require_string(o, "currency");
  r.subtotal_amount = json::require_integer(o, "subtotal_amount");
  r.shipping = boost::json::value_to<ShippingQuote>(o.at("shipping"));
  r.total_amount = json::require_integer(o, "total_amount");
  r.payment_method = json::require_string(o, "payment_method");
  r.reservation_id = json::require_string(o, "reservation_id");
  r.status = parse_or_throw(parse_order_status, json::require_string(o, "status"));
  r.payment_status =
      parse_or_throw(parse_payment_status, json::require_string(o, "payment_status"));
  r.fulfillment_status =
      parse_or_throw(parse_fulfillment_status, json::require_string(o, "fulfillment_status"));
  if (o.contains("risk_score")) r.risk_score = json::require_integer(o, "risk_score");
  r.failure_code = json::require_string(o, "failure_code");
  r.failure_category = json::require_string(o, "failure_category");
  r.failure_reason = json::require_string(o, "failure_reason");
  r.failure_details = json::require_string(o, "failure_details");
  r.payment_reference = json::require_string(o, "payment_reference");
  r.created_at_ms = json::require_integer(o, "created_at_ms");
  r.updated_at_ms = json::require_integer(o, "updated_at_ms");
  r.version = json::require_integer(o, "version");
  r.event_version = o.contains("event_version") ? json::require_integer(o, "event_version") : 0;
  return r;
}

namespace {

class ViewWriter {
 public:
  explicit ViewWriter(std::string& out) : out_(out) {}
  ViewWriter& key(const char* name) {
    out_ += first_ ? "\"" : ",\"";
    first_ = false;
    out_ += name;
    out_ += "\":";
    return *this;
  }
  void text(std::string_view s) { json::append_string(out_, s); }
  void text_or_null(const std::string& s) {
    if (s.empty())
      out_ += "null";
    else
      text(s);
  }
  void number(std::int64_t n) { out_ += std::to_string(n); }
  void raw(std::string_view s) { out_ += s; }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

std::string order_view_json(const Order& o) {
  std::string out;
  out.reserve(768);
  out += '{';
  ViewWriter w(out);
  w.key("id").text(o.id);
  w.key("user_id").number(o.user_id);
  w.key("items").raw("[");
  for (std::size_t n = 0; n < o.items.size(); ++n) {
    const auto& i = o.items[n];
    if (n) out += ',';
    out += '{';
    ViewWriter item(out);
    item.key("product_id").number(i.product_id);
    item.key("sku").text(i.sku);
    item.key("name").text(i.name);
    item.key("quantity").number(i.quantity);
    item.key("unit_price").number(i.unit_price);
    item.key("amount").number(i.unit_price * i.quantity);
    // One warehouse when the item came from one, else null (the allocations say where).
    item.key("warehouse");
    if (i.allocations.size() == 1)
      item.text(i.allocations.front().warehouse);
    else
      item.raw("null");
    item.key("allocations").raw("[");
    for (std::size_t k = 0; k < i.allocations.size(); ++k) {
      if (k) out += ',';
      out += "{\"warehouse\":";
      json::append_string(out, i.allocations[k].warehouse);
      out += ",\"quantity\":" + std::to_string(i.allocations[k].quantity) + "}";
    }
    out += "]}";
  }
  out += ']';
  w.key("subtotal_amount").number(o.subtotal_amount);
  w.key("shipping").raw("{\"destination\":");
  w.text_or_null(o.shipping.destination);
  out += ",\"carrier\":";
  w.text(o.shipping.carrier);
  out += ",\"cost\":" + std::to_string(o.shipping.cost) +
         ",\"estimated_days\":" + std::to_string(o.shipping.estimated_days) + "}";
  w.key("total_amount").number(o.total_amount);
  w.key("currency").text(o.currency);
  w.key("payment_method").text(o.payment_method);
  w.key("reservation_id").text_or_null(o.reservation_id);
  w.key("status").text(to_string(o.status));
  w.key("payment_status").text(to_string(o.payment_status));
  w.key("fulfillment_status").text(to_string(o.fulfillment_status));
  w.key("failure_code").text_or_null(o.failure_code);
  w.key("failure_reason").text_or_null(o.failure_reason);
  w.key("created_at").text(durations::format_rfc3339(o.created_at_ms));
  w.key("updated_at").text(durations::format_rfc3339(o.updated_at_ms));
  w.key("version").number(o.version);
  w.key("risk_score");
  if (o.risk_score)
    w.number(*o.risk_score);
  else
    w.raw("null");
  out += '}';
  return out;
}

}  // namespace orderd::commerce
