// Orders (CommerceApi, commerce_api.hpp), and the table of every route.
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "commerce/api/commerce_api.hpp"
#include "commerce/api/customer_scope.hpp"
#include "commerce/requests.hpp"
#include "commerce/shipping/quote.hpp"
#include "commerce/shop.hpp"
#include "common/json_writer.hpp"
#include "common/money.hpp"

namespace orderd::commerce::api {

std::vector<BasketItem> read_basket(const Shop& shop, const boost::json::object& body,
                                    Violations& violations, bool required);

namespace {

std::string location_of(const std::string& order_id) {
  return "/api/v1/orders/" + order_id;
}

http::ApiError order_not_found(const std::string& id) {
  return {ErrorCode::kNotFound, "order " + id + " not found", "order_not_found"};
}

Order decode_order(const std::string& json_text) {
  return boost::json::value_to<Order>(boost::json::parse(json_text));
}

// An order as a POST or a cancel answers it: 201/200 with the order, or its failure as
// problem+json naming the order (and carrying it).
http::Response order_answer(const http::RouteRequest& request, const Order& order,
                            unsigned ok_status, bool replayed) {
  http::Response r;
  if (order.status == OrderStatus::kFailed ||
      (order.status == OrderStatus::kCancelled && ok_status == 201)) {
    http::ApiError e = api_error(order.failure());
    e.extra["order_id"] = order.id;
    e.extra["order"] = boost::json::parse(order_view_json(order));
    r = request.error(e);
  } else {
    r = http::Response{ok_status, order_view_json(order), {}, "application/json"};
  }
  r.headers.emplace_back("location", location_of(order.id));
  if (replayed) r.headers.emplace_back("idempotent-replayed", "true");
  return r;
}

// The saga's own failure (not the order's): killed, a bug. The order id still names it.
http::Response invocation_failure(const http::RouteRequest& request, const std::string& order_id,
                                  const Error& error) {
  http::ApiError e = api_error(error);
  e.extra["order_id"] = order_id;
  http::Response r = request.error(e);
  r.headers.emplace_back("location", location_of(order_id));
  return r;
}

}  // namespace

void CommerceApi::add_routes(http::Router& router) {
  using http::Method;
  using http::RouteFamily;
  // Each route declares who may call it once authentication is on (route_access.hpp) and the
  // rate-limit class it counts against (reads, writes that start invocations, long-lived
  // streams). Customers reach every route but the catalog's writes, and see their own data only
  // (auth/caller.hpp, A2); the routes themselves keep that.
  auto route = [this, &router](Method method, const char* path,
                               void (CommerceApi::*handler)(const Request&, Responder),
                               bool admin_only = false) {
    const char* rate_class = method == Method::kGet ? "read" : "write";
    if (std::string_view(path) == "/api/v1/events/stream") rate_class = "stream";
    // C1 (customer_scope.hpp): the catalog's reads are the only routes with no user's data.
    const bool catalog_read =
        method == Method::kGet && std::string_view(path).rfind("/api/v1/products", 0) == 0;
    router.add(
        method, path,
        [this, handler, catalog_read](const Request& request, Responder respond) {
          if (!catalog_read) {
            if (auto refused = refuse_customer_without_user_id(request))
              return respond(request.error(*refused));
          }
          (this->*handler)(request, std::move(respond));
        },
        RouteFamily::kApi,
        admin_only ? http::access::admin(rate_class) : http::access::shop(rate_class));
  };
  route(Method::kGet, "/api/v1/products", &CommerceApi::list_products);
  route(Method::kGet, "/api/v1/products/{id}", &CommerceApi::get_product);
  route(Method::kPut, "/api/v1/products/{id}", &CommerceApi::put_product, true);
  route(Method::kPut, "/api/v1/products/{id}/stock/{warehouse}", &CommerceApi::put_stock, true);
  route(Method::kPost, "/api/v1/reservations", &CommerceApi::create_reservation);
  route(Method::kGet, "/api/v1/reservations/{id}", &CommerceApi::get_reservation);
  route(Method::kPost, "/api/v1/reservations/{id}/release", &CommerceApi::release_reservation);
  route(Method::kPost, "/api/v1/orders", &CommerceApi::create_order);
  route(Method::kGet, "/api/v1/orders", &CommerceApi::list_orders);
  route(Method::kGet, "/api/v1/orders/{id}", &CommerceApi::get_order);
  route(Method::kPost, "/api/v1/orders/{id}/cancel", &CommerceApi::cancel_order);
  route(Method::kGet, "/api/v1/payments", &CommerceApi::list_payments);
  route(Method::kPost, "/api/v1/payments/{id}/retry", &CommerceApi::retry_payment, true);
  route(Method::kGet, "/api/v1/events", &CommerceApi::list_events);
  route(Method::kGet, "/api/v1/events/stream", &CommerceApi::stream_events);
}

void CommerceApi::create_order(const Request& request, Responder respond) {
  http::ApiError bad;
  auto body = json_body(request, bad);
  if (!body) return respond(request.error(bad));
  Violations violations;
  PlaceOrder order;
  // C2: a customer's order is its own; without user_id it is placed for the customer.
  const auto confined = confined_user(request);
  if (confined && !body->contains("user_id")) {
    order.user_id = *confined;
  } else if (auto user = read_id(*body, "user_id", "user_id", violations)) {
    if (confined && *user != *confined)
      return respond(request.error(user_id_mismatch(*user, *confined)));
    order.user_id = *user;
  }
  if (auto reservation =
          read_text(*body, "reservation_id", "reservation_id", 64, violations, false))
    order.reservation_id = *reservation;
  order.items = read_basket(shop_, *body, violations, order.reservation_id.empty());
  if (auto method = read_text(*body, "payment_method", "payment_method", 32, violations)) {
    if (shop_.payments.supports(*method))
      order.payment_method = *method;
    else
      violations.push_back({"payment_method", "unsupported_payment_method",
                            "payment_method must be mock, mock_declined or mock_flaky"});
  }
  if (auto currency = read_text(*body, "currency", "currency", 3, violations, false)) {
    if (auto code = parse_currency(*currency))
      order.currency = *code;
    else
      violations.push_back({"currency", "invalid_currency", "currency must be an ISO 4217 code"});
  }
  if (const auto* shipping = body->if_contains("shipping"); shipping && !shipping->is_null()) {
    if (!shipping->is_object()) {
      violations.push_back(
          {"shipping", "invalid_shipping", "shipping must be an object {destination, carrier}"});
    } else {
      const auto& s = shipping->as_object();
      if (auto destination = read_text(s, "destination", "shipping.destination", 500, violations))
        order.destination = *destination;
      auto carrier = read_text(s, "carrier", "shipping.carrier", 32, violations, false);
      auto canonical = canonical_carrier(carrier.value_or("standard"));
      if (canonical)
        order.carrier = *canonical;
      else
        violations.push_back({"shipping.carrier", "unknown_carrier",
                              "carrier must be standard, express (FastShip) or economy"});
    }
  }
  if (!violations.empty()) return respond(request.error(validation_failed(violations)));

  InvokeRequest invoke{"Orders", "place", json::dump(boost::json::value_from(order))};
  invoker_.call(request, std::move(invoke), invoker_.options().order_wait_ms,
                [this, &request, respond = std::move(respond)](Invoker::Reply reply) mutable {
                  if (reply.kind == Invoker::Reply::Kind::kRefused) {
                    http::Response r = request.error(reply.refusal);
                    if (!reply.invocation_id.empty())
                      r.headers.emplace_back("location",
                                             location_of(order_id_for(reply.invocation_id)));
                    return respond(std::move(r));
                  }
                  const std::string order_id = order_id_for(reply.invocation_id);
                  if (reply.kind == Invoker::Reply::Kind::kStillRunning) {
                    auto stored = shop_.orders.read_order(order_id);
                    http::Response r = json_response(
                        202, stored ? boost::json::parse(order_view_json(*stored))
                                    : boost::json::value{{"id", order_id}, {"status", "pending"}});
                    r.headers.emplace_back("location", location_of(order_id));
                    r.headers.emplace_back("retry-after", "1");
                    return respond(std::move(r));
                  }
                  if (!reply.outcome.ok)
                    return respond(invocation_failure(request, order_id, reply.outcome.error));
                  respond(order_answer(request, decode_order(reply.outcome.body), 201,
                                       reply.kind == Invoker::Reply::Kind::kReplayed));
                });
}

void CommerceApi::get_order(const Request& request, Responder respond) {
  const std::string& id = *request.param("id");
  auto order = is_order_id(id) ? shop_.orders.read_order(id) : std::nullopt;
  const auto confined = confined_user(request);
  // C3: another user's order is an unknown one.
  if (!order || (confined && !owns_order(*order, *confined)))
    return respond(request.error(order_not_found(id)));
  respond(http::Response{200, order_view_json(*order), {}, "application/json"});
}

void CommerceApi::list_orders(const Request& request, Responder respond) {
  Violations violations;
  auto page = read_page(request, violations);
  std::optional<std::int64_t> user;
  if (const auto* text = request.query_param("user_id")) {
    boost::json::object q{{"user_id", *text}};
    user = read_id(q, "user_id", "user_id", violations);
  }
  // C3: a customer lists its own orders, through the index's user prefix (so pages and cursors
  // are the scan's); asking for another user's is refused as a create for one is (C2), rather
  // than answered with the customer's own under another user's name.
  if (const auto confined = confined_user(request)) {
    if (user && *user != *confined)
      return respond(request.error(user_id_mismatch(*user, *confined)));
    if (!request.query_param("user_id")) user = *confined;
  }
  std::optional<OrderStatus> status;
  if (const auto* text = request.query_param("status")) {
    status = parse_order_status(*text);
    if (!status)
      violations.push_back(
          {"status", "invalid_status", "status must be pending, confirmed, cancelled or failed"});
  }
  for (const std::string* cursor :
       {request.query_param("starting_after"), request.query_param("ending_before")})
    if (cursor && !is_order_id(*cursor))
      violations.push_back({"starting_after", "invalid_cursor", "a cursor is an order id"});
  if (!violations.empty()) return respond(request.error(validation_failed(violations)));

  // Newest first: order ids sort by creation time, so a reversed scan of a prefix.
  const bool by_index = user || status;
  const std::string table = by_index ? OrderBook::kOrderIndex : OrderBook::kOrders;
  const std::string prefix = user && status ? OrderBook::user_status_index_prefix(*user, *status)
                             : user         ? OrderBook::user_index_prefix(*user)
                             : status       ? OrderBook::status_index_prefix(*status)
                                            : std::string();
  store::RowRange range = store::prefix_range(table, prefix, page->limit + 1, true);
  if (prefix.empty()) range = {table, "", "", page->limit + 1, true};
  const bool backwards = !page->ending_before.empty();
  if (!page->starting_after.empty()) range.to = prefix + page->starting_after;
  if (backwards) {
    range.from = prefix + page->ending_before + '\0';
    range.reverse = false;
  }
  const std::size_t limit = page->limit;
  invoker_.engine().scan_rows(
      std::move(range),
      [this, &request, prefix, by_index, backwards, limit,
       respond = std::move(respond)](std::optional<std::vector<store::Row>> rows) mutable {
        if (!rows)
          return respond(request.error({ErrorCode::kUnavailable, "the store could not be read"}));
        const bool has_more = rows->size() > limit;
        if (has_more) rows->resize(limit);
        if (backwards) std::reverse(rows->begin(), rows->end());
        boost::json::array data;
        for (const auto& row : *rows) {
          std::optional<Order> order;
          if (by_index)
            order = shop_.orders.read_order(row.key.substr(prefix.size()));
          else
            order = decode_order(row.value);
          if (order) data.push_back(boost::json::parse(order_view_json(*order)));
        }
        respond(json_response(200, {{"data", std::move(data)}, {"has_more", has_more}}));
      });
}

void CommerceApi::cancel_order(const Request& request, Responder respond) {
  const std::string id = *request.param("id");
  if (!is_order_id(id)) return respond(request.error(order_not_found(id)));
  // Everything is checked before anything is cancelled.
  http::ApiError bad;
  auto body = json_body(request, bad, true);
  if (!body) return respond(request.error(bad));
  Violations violations;
  CancelOrder cancel;
  if (auto reason = read_text(*body, "reason", "reason", 500, violations, false))
    cancel.reason = *reason;
  if (const std::string* key = request.idempotency_key();
      key && !http::FrontDoor::valid_idempotency_key(*key)) {
    violations.push_back({"Idempotency-Key", "invalid_idempotency_key",
                          "Idempotency-Key must have 1 to 255 printable characters"});
  }
  if (!violations.empty()) return respond(request.error(validation_failed(violations)));
  const std::string invocation_id = invocation_id_for(id);
  InvocationOutcome outcome;
  const Engine::Lookup state = invoker_.engine().output(invocation_id, outcome);
  const auto confined = confined_user(request);
  // Read only where it decides: an unknown saga's order, or a customer's (C3).
  const auto stored =
      state == Engine::Lookup::kUnknown || confined ? shop_.orders.read_order(id) : std::nullopt;
  if (state == Engine::Lookup::kUnknown && !stored)
    return respond(request.error(order_not_found(id)));
  // C3: another user's order is an unknown one, and nothing is cancelled. Before its first step
  // is stored, a saga is the customer's when the customer started it.
  if (confined) {
    bool own = false;
    if (stored) {
      own = owns_order(*stored, *confined);
    } else if (auto origin = invoker_.engine().origin_of(invocation_id)) {
      own = origin->principal == request.caller.principal();
    }
    if (!own) return respond(request.error(order_not_found(id)));
  }
  if (state == Engine::Lookup::kRunning) {
    // A running saga stops at its next step and compensates; what it ends with is the answer
    // (confirmed: the cancel came too late for the saga, so the confirmed order is cancelled).
    // Answered only once the cancel is durable (a kill -9 after the 202 keeps it); a repeat
    // journals nothing and answers the same way.
    invoker_.engine().cancel(invocation_id, [this, &request, invocation_id, id, cancel,
                                             respond = std::move(respond)]() mutable {
      wait_for_cancelled(request, invocation_id, id, std::move(cancel), std::move(respond));
    });
    return;
  }
  cancel_confirmed(request, id, std::move(cancel), std::move(respond));
}

void CommerceApi::wait_for_cancelled(const Request& request, const std::string& invocation_id,
                                     const std::string& id, CancelOrder cancel, Responder respond) {
  invoker_.wait_for(
      request, invocation_id, invoker_.options().order_wait_ms,
      [this, &request, id, cancel, respond = std::move(respond)](Invoker::Reply reply) mutable {
        if (reply.kind == Invoker::Reply::Kind::kStillRunning) {
          http::Response r = json_response(202, {{"id", id}, {"status", "pending"}});
          r.headers.emplace_back("location", location_of(id));
          return respond(std::move(r));
        }
        if (reply.kind == Invoker::Reply::Kind::kRefused)
          return respond(request.error(reply.refusal));
        if (!reply.outcome.ok) return respond(invocation_failure(request, id, reply.outcome.error));
        Order order = decode_order(reply.outcome.body);
        if (order.status == OrderStatus::kConfirmed)
          return cancel_confirmed(request, id, std::move(cancel), std::move(respond));
        if (order.status == OrderStatus::kCancelled)
          return respond(order_answer(request, order, 200, false));
        respond(request.error({ErrorCode::kConflict,
                               "order " + id + " is " + std::string(to_string(order.status)) +
                                   " and cannot be cancelled",
                               "order_not_cancellable"}));
      });
}

void CommerceApi::cancel_confirmed(const Request& request, const std::string& order_id,
                                   CancelOrder cancel, Responder respond) {
  // One invocation per order at a time (an exclusive object handler): a second cancel waits
  // for the first and finds the order cancelled.
  InvokeRequest invoke{"OrderCancel", "cancel", json::dump(boost::json::value_from(cancel))};
  invoke.object_key = order_id;
  invoker_.call(request, std::move(invoke), invoker_.options().write_wait_ms,
                [&request, order_id, respond = std::move(respond)](Invoker::Reply reply) mutable {
                  http::Response pending = json_response(202, {{"id", order_id}});
                  pending.headers.emplace_back("location", location_of(order_id));
                  respond(answer_write(
                      request, reply, std::move(pending), [&request](const std::string& output) {
                        return order_answer(request, decode_order(output), 200, false);
                      }));
                });
}

}  // namespace orderd::commerce::api
