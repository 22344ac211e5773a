#pragma once
// What every commerce route needs: reading a JSON body, turning the domain's violations and
// errors into ApiErrors, cursor pages, and starting a handler through the front door (Invoker).
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "commerce/validation.hpp"
#include "common/error.hpp"
#include "common/unique_function.hpp"
#include "engine/engine.hpp"
#include "ingress/api_error.hpp"
#include "ingress/front_door.hpp"
#include "ingress/route_request.hpp"

namespace orderd::commerce::api {

struct CommerceRouteOptions {
  // POST /api/v1/orders answers 201 (or the failure) if the saga settles within this, else 202.
  std::int64_t order_wait_ms = 5000;
  // Admin writes, reservations and cancels wait this long before answering 202.
  std::int64_t write_wait_ms = 5000;
  // An event stream with nothing to send sends a comment after this long, so that proxies keep
  // it open and a client that went away is noticed by a failed write (--sse-heartbeat).
  std::int64_t sse_heartbeat_ms = 15'000;
  // Event streams open at once; past it, 503 too_many_event_streams (--max-event-streams).
  std::size_t max_event_streams = 256;
};

// The body as a JSON object, or the 400 to answer (an empty body reads as {} when `optional`).
std::optional<boost::json::object> json_body(const http::RouteRequest& request,
                                             http::ApiError& error, bool optional = false);
http::ApiError validation_failed(const Violations& violations);
// A domain error as the API answers it; `details` (a JSON object) joins the problem's members.
http::ApiError api_error(const Error& error);
http::Response json_response(unsigned status, const boost::json::value& body);

// `limit` (1..100, default 10), `starting_after` / `ending_before` (one of them).
struct Page {
  std::size_t limit = 10;
  std::string starting_after;
  std::string ending_before;
};
std::optional<Page> read_page(const http::RouteRequest& request, Violations& violations);

// Starts the shop's handlers for the routes, through the front door (ingress/front_door.hpp),
// which applies the key, caller, bound and deadline rules of every route family; adds the
// routes' own waits (--order-wait for orders, write_wait_ms for the other writes).
class Invoker {
 public:
  Invoker(http::FrontDoor& front_door, CommerceRouteOptions options)
      : front_door_(front_door), options_(options) {}

  using Reply = http::FrontDoor::Reply;
  using Done = http::FrontDoor::Done;

  // Starts service/handler under the request's Idempotency-Key and caller, and answers `done`
  // once the outcome is known or the wait (`wait_ms`, or a shorter Request-Timeout) has passed.
  void call(const http::RouteRequest& request, InvokeRequest invoke, std::int64_t wait_ms,
            Done done) {
    http::FrontDoor::Start start{std::move(invoke), false, nullptr, wait_ms};
    front_door_.start(request, std::move(start), std::move(done));
  }
  // Waits for a running invocation, as call does.
  void wait_for(const http::RouteRequest& request, const std::string& invocation_id,
                std::int64_t wait_ms, Done done) {
    front_door_.attach(request, invocation_id, wait_ms, std::move(done));
  }

  Engine& engine() { return front_door_.engine(); }
  const CommerceRouteOptions& options() const { return options_; }
  // Answers `then` once everything decided so far is durable: reads of in-memory state wait
  // for it, so nobody sees a decision a crash could take back.
  void after_durable(UniqueFunction<void()> then) { engine().after_durable(std::move(then)); }

 private:
  http::FrontDoor& front_door_;
  CommerceRouteOptions options_;
};

// The answer to a write's reply: a refusal or a failure as its error, `pending` while it still
// runs, else what `done` makes of the handler's output (JSON text). A replay is marked as one.
http::Response answer_write(const http::RouteRequest& request, const Invoker::Reply& reply,
                            http::Response pending,
                            const std::function<http::Response(const std::string&)>& done);

}  // namespace orderd::commerce::api
