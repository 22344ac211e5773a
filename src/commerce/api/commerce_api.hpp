#pragma once
// The commerce API, /api/v1 on the ingress (docs/API.md): typed routes over the shop's handlers.
// Each route validates everything before it starts anything, so a bad request writes nothing;
// writes go through journaled handlers (Invoker), reads of memory wait for durability.
//   catalog_routes.cpp   products, stock, reservations
//   order_routes.cpp     orders, and the table of every route
//   payment_routes.cpp   payments: an order's ledger, those needing an operator, their retry
//   event_routes.cpp     the outbox's events, as pages and as a live stream (event_stream.hpp)
#include <cstddef>
#include <memory>
#include <string>

#include "commerce/api/api_support.hpp"
#include "commerce/api/event_query.hpp"
#include "commerce/requests.hpp"
#include "ingress/router.hpp"

namespace orderd::commerce {
class EventFeed;
class Shop;
}  // namespace orderd::commerce

namespace orderd::commerce::api {

class CommerceApi {
 public:
  // `event_feed` tells the event streams when there is more to read.
  // Writes start through `front_door`, the one every route family shares.
  CommerceApi(Shop& shop, http::FrontDoor& front_door, Scheduler& scheduler, EventFeed& event_feed,
              CommerceRouteOptions options)
      : shop_(shop),
        event_feed_(event_feed),
        scheduler_(scheduler),
        invoker_(front_door, options) {}
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
  void list_payments_of_order(const Request& request, const std::string& order_id,
                              Responder respond);
  void list_payments_needing_attention(const Request& request, Responder respond);
  void retry_payment(const Request& request, Responder respond);
  // The answer to a cancel of a running saga, once the cancel is durable: the order it ended
  // with, or 202 while it has not within --order-wait.
  void wait_for_cancelled(const Request& request, const std::string& invocation_id,
                          const std::string& id, CancelOrder cancel, Responder respond);
  void list_events(const Request& request, Responder respond);
  void stream_events(const Request& request, Responder respond);
  void open_event_stream(const Request& request, EventQuery query, Responder respond);

  Shop& shop_;
  EventFeed& event_feed_;
  Scheduler& scheduler_;
  Invoker invoker_;
  // Event streams open now (--max-event-streams); each stream holds it, and counts itself down.
  std::shared_ptr<std::size_t> open_streams_ = std::make_shared<std::size_t>(0);
};

}  // namespace orderd::commerce::api
