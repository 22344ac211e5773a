#pragma once
// The admin API, served on its own listener (--admin-listen, 127.0.0.1:9070 by default) as Restate
// keeps its admin port apart from the ingress:
//   GET   /invocations?status=&service=&limit=&cursor=   newest first, keyset-paginated
//   GET   /invocations/{id}                               record, journal and child calls
//   PATCH /invocations/{id}/kill|pause|resume|purge|cancel
//   GET   /health
#include "ingress/http_types.hpp"

namespace orderd {
class Engine;
}

namespace orderd::http {

class AdminRoutes final : public RequestHandler {
 public:
  explicit AdminRoutes(Engine& engine) : engine_(engine) {}
  void handle(Request request, Responder respond) override;

 private:
  Response list(std::string_view query);
  Response describe(const std::string& id);
  Response control(const std::string& id, std::string_view action);

  Engine& engine_;
};

}  // namespace orderd::http
