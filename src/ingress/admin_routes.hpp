#pragma once
// The admin API, served on its own listener (--admin-listen, 127.0.0.1:9070 by default) as Restate
// keeps its admin port apart from the ingress. All of it is the Restate family:
//   GET   /invocations?status=&service=&limit=&cursor=   newest first, keyset-paginated
//   GET   /invocations/{id}                               record, journal and child calls
//   PATCH /invocations/{id}/kill|pause|resume|purge|cancel
//         cancel answers once the cancel is durable (a repeat is a no-op, answered alike);
//         purge answers 409 with a domain's reason when its purge guard refuses
//   GET   /health
#include "common/error.hpp"
#include "engine/engine.hpp"
#include "ingress/http_service.hpp"

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
  void control(const RouteRequest& request, Responder respond);
  Response refused(const RouteRequest& request, const std::string& action, Engine::Control result,
                   const Error& refusal);

  Engine& engine_;
  HttpService service_;
};

}  // namespace orderd::http
