#include "commerce/orders/order_book.hpp"

#include <cstdio>

#include "commerce/events/outbox.hpp"
#include "commerce/table_rows.hpp"
#include "engine/engine.hpp"

namespace orderd::commerce {
namespace {

std::string user_digits(std::int64_t user_id) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020lld", static_cast<long long>(user_id));
  return digits;
}

}  // namespace

void OrderBook::order_event(Order& order, std::string_view type, std::int64_t now_ms,
                            WriteSet& writes) const {
  ++order.event_version;
  outbox_.emit(writes, type, order.id, order.event_version, now_ms, order_view_json(order));
}

void OrderBook::write_order(const Order& order, std::optional<OrderStatus> previous,
                            WriteSet& writes) const {
  writes.put(kOrders, order.id, row_json(order));
  if (previous == order.status) return;
  if (!previous) {
    writes.put(kOrderIndex, user_index_prefix(order.user_id) + order.id, "");
  } else {
    writes.erase(kOrderIndex, user_status_index_prefix(order.user_id, *previous) + order.id);
    writes.erase(kOrderIndex, status_index_prefix(*previous) + order.id);
  }
  writes.put(kOrderIndex, user_status_index_prefix(order.user_id, order.status) + order.id, "");
  writes.put(kOrderIndex, status_index_prefix(order.status) + order.id, "");
}

std::optional<Order> OrderBook::read_order(const std::string& order_id) const {
  auto row = engine_->read_row(kOrders, order_id);
  if (!row) return std::nullopt;
  return from_row<Order>(*row);
}

std::string OrderBook::user_index_prefix(std::int64_t user_id) {
  return "u/" + user_digits(user_id) + "/";
}

std::string OrderBook::user_status_index_prefix(std::int64_t user_id, OrderStatus status) {
  return "us/" + user_digits(user_id) + "/" + std::string(to_string(status)) + "/";
}

std::string OrderBook::status_index_prefix(OrderStatus status) {
  return "s/" + std::string(to_string(status)) + "/";
}

}  // namespace orderd::commerce
