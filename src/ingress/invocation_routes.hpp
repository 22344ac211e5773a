#pragma once
// The ingress routes, following Restate's HTTP conventions so Restate clients work unchanged:
//   POST /{Service}/{handler}              call and wait for the output
//   POST /{Service}/{handler}/send         one-way: 202 once the invocation is durably accepted
//   GET  /restate/invocation/{id}/attach   wait for an invocation's outcome
//   GET  /restate/invocation/{id}/output   its outcome now, or 470 while it runs
//   GET  /health
#include "ingress/http_types.hpp"

namespace orderd {
class Engine;
class Registry;
}  // namespace orderd

namespace orderd::http {

class InvocationRoutes final : public RequestHandler {
 public:
  InvocationRoutes(Engine& engine, const Registry& registry)
      : engine_(engine), registry_(registry) {}
  void handle(Request request, Responder respond) override;

 private:
  void invoke(const Request& request, std::string_view service, std::string_view handler, bool send,
              Responder respond);
  void lookup(std::string_view invocation_id, std::string_view what, Responder respond);

  Engine& engine_;
  const Registry& registry_;
};

}  // namespace orderd::http
