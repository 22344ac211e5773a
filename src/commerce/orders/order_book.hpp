#pragma once
// The orders as stored: one row per order, the index its listings scan, and the order events
// every change writes through the outbox in the same WriteSet (E2: the version counter lives in
// the order's own row).
//
// Tables: orders  order id (sorts by creation time) -> Order;  order_index
//   u/<user>/<order>, us/<user>/<status>/<order>, s/<status>/<order> -> "".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "commerce/orders/order.hpp"
#include "engine/write_set.hpp"

namespace orderd {
class Engine;
}

namespace orderd::commerce {

class Outbox;

class OrderBook {
 public:
  static constexpr const char* kOrders = "orders";
  static constexpr const char* kOrderIndex = "order_index";

  explicit OrderBook(Outbox& outbox) : outbox_(outbox) {}
  // The engine its durable reads go through.
  void attach(Engine& engine) { engine_ = &engine; }

  // An order's event (`type`, the order's snapshot after the change): bumps its event_version.
  void order_event(Order& order, std::string_view type, std::int64_t now_ms,
                   WriteSet& writes) const;
  // Writes the order and moves its index entries from `previous` (nullopt: a new order).
  void write_order(const Order& order, std::optional<OrderStatus> previous, WriteSet& writes) const;
  // Durable (a point read on the engine thread).
  std::optional<Order> read_order(const std::string& order_id) const;

  // Listing keys (order_index).
  static std::string user_index_prefix(std::int64_t user_id);
  static std::string user_status_index_prefix(std::int64_t user_id, OrderStatus status);
  static std::string status_index_prefix(OrderStatus status);

 private:
  Outbox& outbox_;
  Engine* engine_ = nullptr;
};

}  // namespace orderd::commerce
