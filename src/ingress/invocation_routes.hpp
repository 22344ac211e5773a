#pragma once
// The ingress routes, following Restate's HTTP conventions so Restate clients work unchanged:
//   POST /{Service}/{handler}              call and wait for the output
//   POST /{Service}/{handler}/send         one-way: 202 once the invocation is durably accepted
//   POST /{Service}/{key}/{handler}[/send] a virtual object's or workflow's handler, under its key
//   GET  /restate/workflow/{Name}/{key}/attach|output   a workflow run's outcome, by workflow id
//   GET  /restate/invocation/{id}/attach   wait for an invocation's outcome
//   GET  /restate/invocation/{id}/output   its outcome now, or 470 while it runs
//   GET  /restate/invocation/{Service}/{handler}/{idempotencyKey}/attach|output
//   POST /restate/awakeables/{id}/resolve|reject   complete an awakeable from outside
//   GET  /health
// An idempotency-key header deduplicates calls and sends per target; ?delay= schedules a send.
#include <cstddef>

#include "ingress/http_types.hpp"

namespace orderd {
class Engine;
class Registry;
}  // namespace orderd

namespace orderd::http {

struct RouteOptions {
  // Past this many active invocations (in memory and not parked; children included) new
  // requests get 503 + Retry-After instead of growing memory and latency without bound.
  std::size_t max_in_flight = 200'000;
  // Past this many parked ones (waiting on a timer, an awakeable or a promise), too.
  std::size_t max_parked = 2'000'000;
};

class InvocationRoutes final : public RequestHandler {
 public:
  InvocationRoutes(Engine& engine, const Registry& registry, RouteOptions options = {})
      : engine_(engine), registry_(registry), options_(options) {}
  void handle(Request request, Responder respond) override;
  // Shutting down: new invocations and attaches are refused with 503 (lookups still answer).
  void drain() { draining_ = true; }

 private:
  void invoke(const Request& request, std::string_view service, std::string_view handler,
              std::string object_key, bool send, Responder respond);
  void lookup(const std::string& invocation_id, std::string_view what, Responder respond);
  void workflow_lookup(std::string_view workflow, const std::string& key, std::string_view what,
                       Responder respond);
  void complete_awakeable(const Request& request, const std::string& id, bool reject,
                          Responder respond);

  Engine& engine_;
  const Registry& registry_;
  RouteOptions options_;
  bool draining_ = false;
};

}  // namespace orderd::http
