#pragma once
// A request as a route sees it: the Request, what the router found in its path and query, and
// what the middleware chain learned (its id, who is calling).
//
// A RouteRequest lives until its answer has been given (the service that made it holds it until
// then), so a middleware may call next later and a handler may read it until it responds. It
// never moves: its segments are views into its own target.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/caller.hpp"
#include "ingress/api_error.hpp"
#include "ingress/error_rendering.hpp"
#include "ingress/http_types.hpp"
#include "ingress/route_access.hpp"

namespace orderd::http {

using Params = std::vector<std::pair<std::string, std::string>>;  // name, percent-decoded value

class RouteRequest {
 public:
  explicit RouteRequest(Request request);
  RouteRequest(const RouteRequest&) = delete;
  RouteRequest& operator=(const RouteRequest&) = delete;

  Request request;
  std::vector<std::string_view> segments;  // the path's non-empty segments, raw
  Params query;                            // in order, percent-decoded
  std::chrono::steady_clock::time_point received_at = std::chrono::steady_clock::now();

  // Set by the router.
  RouteFamily family = RouteFamily::kRestate;
  std::string_view route;  // the matched template ("/api/v1/orders/{id}"); empty when none matched
  Params params;           // the template's {parameters}
  // What the matched route declared (route_access.hpp); the defaults when none matched.
  const RouteAccess* access = &default_route_access();

  // Set by the chain.
  std::string request_id;  // the client's X-Request-Id when valid, else a new one
  // Who is calling (auth/caller.hpp): open while authentication is off; else what the token
  // said. `principal` is its scope for the journal and idempotency keys: caller.principal().
  auth::Caller caller;
  std::string principal;  // empty: anonymous (authentication off)

  std::string_view method() const { return request.method; }
  const std::string& target() const { return request.target; }
  std::string_view path() const;  // the target without its query
  const std::string& body() const { return request.body; }
  const std::string* param(std::string_view name) const;
  const std::string* query_param(std::string_view name) const;
  const std::string* header(std::string_view lower_case_name) const {
    return request.header(lower_case_name);
  }
  const std::string* idempotency_key() const { return header("idempotency-key"); }
  const std::string* authorization() const { return header("authorization"); }
  const std::string* traceparent() const { return header("traceparent"); }
  // Runs `fn` if the client hangs up before the answer (http_types.hpp, Hangup); never when the
  // request has no client connection behind it.
  void on_hangup(UniqueFunction<void()> fn) const {
    if (request.hangup) request.hangup->on_hangup(std::move(fn));
  }

  // The error as this request's family answers it, naming this request's id.
  Response error(const ApiError& e) const { return render_error(family, e, request_id); }
};

}  // namespace orderd::http
