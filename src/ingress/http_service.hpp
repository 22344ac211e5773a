#pragma once
// One listener's request handler: a router and a middleware chain. Each request gets its id,
// is matched by the router, then passes the chain to its route (middleware.hpp says in which
// order, and why). The ingress and the admin listener are each one.
#include <memory>
#include <vector>

#include "ingress/error_rendering.hpp"
#include "ingress/http_types.hpp"
#include "ingress/middleware.hpp"
#include "ingress/router.hpp"

namespace orderd::http {

class HttpService final : public RequestHandler {
 public:
  // `family`: of every path the router does not give to another (Router::claim).
  HttpService(RouteFamily family, ChainOptions options,
              std::vector<std::unique_ptr<Middleware>> listener_stages = {});

  // Where routes are added, at startup.
  Router& router() { return router_; }
  const Router& router() const { return router_; }

  void handle(Request request, Responder respond) override;
  // In the family of head's target (Restate's when there is no head), with a request id.
  Response refusal(const ApiError& error, const Request* head) const override;

 private:
  void dispatch(RouteRequest& request, Responder respond) const;

  Router router_;
  MiddlewareChain chain_;
};

}  // namespace orderd::http
