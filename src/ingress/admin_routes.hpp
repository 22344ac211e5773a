#pragma once
// The admin API, served on its own listener (--admin-listen, 127.0.0.1:9070 by default) as Restate
// keeps its admin port apart from the ingress. All of it is the Restate family:
//   GET   /invocations?status=&service=&limit=&cursor=   newest first, keyset-paginated
//   GET   /invocations/{id}                               record, journal and child calls
//   PATCH /invocations/{id}/kill|pause|resume|purge|cancel
//   GET   /health
#include "ingress/http_service.hpp"

namespace orderd {
class Engine;
}

namespace orderd::http {

class AdminRoutes final : public RequestHandler {
 public:
  explicit AdminRoutes(Engine& engine, ChainOptions chain = {});
  void handle(Request request, Responder respond) override {
    service_.handle(std::move(request), std::move(respond));
  }
  Response refusal(const ApiError& error, const Request* head) const override {
    return service_.refusal(error, head);
  }
  const Router& router() const { return service_.router(); }

 private:
  Response list(const RouteRequest& request);
  Response describe(const RouteRequest& request);
  Response control(const RouteRequest& request);

  Engine& engine_;
  HttpService service_;
};

}  // namespace orderd::http
