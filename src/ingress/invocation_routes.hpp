#pragma once
// The ingress listener. Its Restate family follows Restate's HTTP conventions, so Restate
// clients work unchanged:
//   POST /{Service}/{handler}              call and wait for the output
//   POST /{Service}/{handler}/send         one-way: 202 once the invocation is durably accepted
//   POST /{Service}/{key}/{handler}[/send] a virtual object's or workflow's handler, under its key
//   GET  /restate/workflow/{Name}/{key}/attach|output   a workflow run's outcome, by workflow id
//   GET  /restate/invocation/{id}/attach   wait for an invocation's outcome
//   GET  /restate/invocation/{id}/output   its outcome now, or 470 while it runs
//   GET  /restate/invocation/{Service}/{handler}/{idempotencyKey}/attach|output
//   POST /restate/awakeables/{id}/resolve|reject   complete an awakeable from outside
//   POST /restate/a/{id}/resolve|reject            the same (the form Restate's TS client sends)
//   GET  /health
// Every invocation is started, attached to and waited for through the front door
// (front_door.hpp), which applies the idempotency key, the caller, the bounds and the deadline
// for these routes and /api alike. Only exposed handlers (Registry::expose: a whole service, or
// one handler) are reachable here: an internal one, and its invocations, answer 404 as an
// unknown one does. Customers reach only their own runs of a confined workflow
// (workflow_confinement.hpp). The dynamic
// /{Service}/... paths are the router's fallback; /restate is claimed, so nothing under it is
// ever an invocation.
//
// The /api family (the commerce API) is claimed for the domains, which add their routes with
// router().add(...) at startup; until they do, every /api path is a problem+json 404.
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ingress/front_door.hpp"
#include "ingress/http_service.hpp"

namespace orderd {
class Engine;
class Registry;
}  // namespace orderd

namespace orderd::http {

class InvocationRoutes final : public RequestHandler {
 public:
  InvocationRoutes(FrontDoor& front_door, const Registry& registry, ChainOptions chain = {});
  void handle(Request request, Responder respond) override {
    service_.handle(std::move(request), std::move(respond));
  }
  Response refusal(const ApiError& error, const Request* head) const override {
    return service_.refusal(error, head);
  }
  // Where the domains' routes are added, at startup: router().add(Method::kPost,
  // "/api/v1/orders", handler, RouteFamily::kApi).
  Router& router() { return service_.router(); }
  const Router& router() const { return service_.router(); }
  // Shutting down: new invocations and attaches are refused with 503 (lookups still answer).
  void drain() { draining_ = true; }
  // GET /health carries `member`: the JSON `detail` returns at each request (the outbox's
  // relay lag, say), beside "status".
  void add_health_detail(std::string member, std::function<std::string()> detail) {
    health_details_.emplace_back(std::move(member), std::move(detail));
  }

 private:
  void invoke_by_path(const RouteRequest& request, Responder respond);
  void invoke(const RouteRequest& request, std::string_view service, std::string_view handler,
              std::string object_key, bool send, Responder respond);
  void lookup(const RouteRequest& request, const std::string& invocation_id, std::string_view what,
              Responder respond);
  // Whether the invocation is of an exposed service: the others are not shown here.
  bool visible(const RouteRequest& request, const std::string& invocation_id);
  void lookup_by_key(const RouteRequest& request, bool keyed, std::string_view what,
                     Responder respond);
  void workflow_lookup(const RouteRequest& request, std::string_view what, Responder respond);
  void complete_awakeable(const RouteRequest& request, bool reject, Responder respond);

  FrontDoor& front_door_;
  Engine& engine_;
  const Registry& registry_;
  std::vector<std::pair<std::string, std::function<std::string()>>> health_details_;
  bool draining_ = false;  // before service_: its shutdown gate reads it
  HttpService service_;
};

}  // namespace orderd::http
