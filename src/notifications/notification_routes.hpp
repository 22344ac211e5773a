#pragma once
// GET /api/v1/notifications (docs/API.md, "Notifications"): the mailbox's notifications, newest
// first, in cursor pages as the orders list answers them ({"data": [...], "has_more": ...}).
// Filters ?to=, ?trip_id=, ?order_id= (at most one). A customer (caller.owns_only(), A2) sees
// only the notifications whose `customer` is its subject, confined in the scan (M2).
#include "ingress/http_types.hpp"

namespace orderd {
class Engine;
}
namespace orderd::http {
class Router;
class RouteRequest;
}  // namespace orderd::http

namespace orderd::notifications {

class NotificationRoutes {
 public:
  // Reads the durable rows through `engine` (nothing is kept in memory).
  explicit NotificationRoutes(Engine& engine) : engine_(engine) {}
  void add_routes(http::Router& router);

 private:
  void list_notifications(const http::RouteRequest& request, http::Responder respond);

  Engine& engine_;
};

}  // namespace orderd::notifications
