#pragma once
// An order as the shop keeps it, and the transitions its saga and its cancel make. Pure: the
// saga decides with these inside journaled steps and stores the result (orders table).
//
// Three axes, as commerce APIs keep them, enums whose transitions are checked (O3,
// orders/order_state.hpp).
// O1. `version` grows by one with every change that is stored, so a reader can order what it saw.
// O2. A terminal order (failed, cancelled) never changes again.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "commerce/catalog/product.hpp"
#include "commerce/orders/order_state.hpp"
#include "commerce/stock/stock_rows.hpp"
#include "common/error.hpp"

namespace orderd::commerce {

struct OrderItem {
  ProductId product_id = 0;
  std::string sku;
  std::string name;
  std::int64_t quantity = 0;
  std::int64_t unit_price = 0;
  std::vector<Allocation> allocations;  // where its units are held (set once reserved)
};

struct ShippingQuote {
  std::string destination;
  std::string carrier;
  std::int64_t cost = 0;  // minor units
  std::int64_t estimated_days = 0;
};

struct Order {
  std::string id;
  std::int64_t user_id = 0;
  std::vector<OrderItem> items;
  std::string currency;
  std::int64_t subtotal_amount = 0;
  ShippingQuote shipping;
  std::int64_t total_amount = 0;
  std::string payment_method;
  std::string reservation_id;
  OrderStatus status = OrderStatus::kPending;
  PaymentStatus payment_status = PaymentStatus::kPending;
  FulfillmentStatus fulfillment_status = FulfillmentStatus::kUnfulfilled;
  std::optional<std::int64_t> risk_score;  // 0-100, an integer (JSON prints doubles as 1.5E2)
  // Set when failed or cancelled: the stable code (out_of_stock, payment_declined...), the
  // category it belongs to (error_code.hpp), a message.
  std::string failure_code;
  std::string failure_category;
  std::string failure_reason;
  std::string failure_details;    // a JSON object's text, or empty (out_of_stock: the product)
  std::string payment_reference;  // the gateway's, of the authorization
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::int64_t version = 1;
  std::int64_t event_version = 0;  // its events so far (events/outbox.hpp, E2)

  bool terminal() const {
    return status == OrderStatus::kFailed || status == OrderStatus::kCancelled;
  }
  // The error a failed or cancelled order answers with (problem+json).
  Error failure() const;
};

// The order id of the saga invocation `invocation_id` ("inv_X" -> "ord_X"), and back.
std::string order_id_for(const std::string& invocation_id);
std::string invocation_id_for(const std::string& order_id);
bool is_order_id(const std::string& text);

// Transitions (each bumps version and updated_at, O1; each checked, O3).
void touch(Order& order, std::int64_t now_ms);
// Failed, or cancelled (its fulfillment too) when `why` is a cancel.
void fail(Order& order, const Error& why, std::int64_t now_ms);
// Confirmed, its payment captured.
void confirm(Order& order, std::int64_t now_ms);

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const OrderItem& i);
OrderItem tag_invoke(boost::json::value_to_tag<OrderItem>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ShippingQuote& q);
ShippingQuote tag_invoke(boost::json::value_to_tag<ShippingQuote>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const Order& o);
Order tag_invoke(boost::json::value_to_tag<Order>, const boost::json::value& v);

// The API's view as JSON text (RFC 3339 times, null for what is unset), written directly: it
// is made for every order event and answer.
std::string order_view_json(const Order& order);

}  // namespace orderd::commerce
