#pragma once
// The commerce API, /api/v1 on the ingress (docs/API.md): typed routes over the shop's handlers.
// Each route validates everything before it starts anything, so a bad request writes nothing;
// writes go through journaled handlers (Invoker), reads of memory wait for durability.
//   catalog_routes.cpp   products, stock, reservations
//   order_routes.cpp     orders, payments
//   event_routes.cpp     the outbox's events
#include <string>

#include "commerce/api/api_support.hpp"
#include "commerce/requests.hpp"
#include "ingress/router.hpp"

namespace orderd::commerce {
class Shop;
}

namespace orderd::commerce::api {

class CommerceApi {
 public:
  CommerceApi(Shop& shop, Engine& engine, Scheduler& scheduler, CommerceRouteOptions options)
      : shop_(shop), invoker_(engine, scheduler, options) {}
  void add_routes(http::Router& router);

 private:
  using Request = http::RouteRequest;
  using Responder = http::Responder;
  void get_product(const Request& request, Responder respond);
  void list_products(const Request& request, Responder respond);
  void put_product(const Request& request, Responder respond);
  void put_stock(const Request& request, Responder respond);
  void create_reservation(const Request& request, Responder respond);
  void get_reservation(const Request& request, Responder respond);
  void release_reservation(const Request& request, Responder respond);
  void create_order(const Request& request, Responder respond);
  void get_order(const Request& request, Responder respond);
  void list_orders(const Request& request, Responder respond);
  void cancel_order(const Request& request, Responder respond);
  void cancel_confirmed(const Request& request, const std::string& order_id, CancelOrder cancel,
                        Responder respond);
  void list_payments(const Request& request, Responder respond);
  void list_events(const Request& request, Responder respond);

  Shop& shop_;
  Invoker invoker_;
};

}  // namespace orderd::commerce::api
