#include "ingress/middleware.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace orderd::http {
namespace {

std::chrono::microseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

class Metrics final : public Middleware {
 public:
  explicit Metrics(MetricsObserver observer) : observe_(std::move(observer)) {}
  void handle(RouteRequest& request, Responder respond, Next next) override {
    // The route is a view into the router, which outlives every answer.
    auto observed = [this, route = request.route, received = request.received_at,
                     respond = std::move(respond)](Response response) mutable {
      observe_(route, response.status, since(received));
      respond(std::move(response));
    };
    next(request, std::move(observed));
  }

 private:
  MetricsObserver observe_;
};

class AccessLog final : public Middleware {
 public:
  void handle(RouteRequest& request, Responder respond, Next next) override {
    auto logged = [method = std::string(request.method()), path = std::string(request.path()),
                   id = request.request_id, received = request.received_at,
                   respond = std::move(respond)](Response response) mutable {
      spdlog::info("{} {} {} {}us {}", method, path, response.status, since(received).count(), id);
      respond(std::move(response));
    };
    next(request, std::move(logged));
  }
};

// Answers at most once: the guard may hold a responder the stages below have already used.
void answer_once(Responder& respond, Response response) {
  if (!respond) return;
  Responder once = std::move(respond);
  once(std::move(response));
}

class ExceptionGuard final : public Middleware {
 public:
  void handle(RouteRequest& request, Responder respond, Next next) override {
    auto kept = std::make_shared<Responder>(std::move(respond));
    auto forward = [kept](Response response) { answer_once(*kept, std::move(response)); };
    std::string what;
    try {
      next(request, std::move(forward));
      return;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "unknown exception";
    }
    // The details are for the log: an answer never carries internal text, only the request id
    // that finds them there.
    spdlog::error("{} {} failed: {} (request {})", request.method(), request.path(), what,
                  request.request_id);
    answer_once(*kept, request.error(ApiError{ErrorCode::kInternal,
                                              "internal error; the log has its details under "
                                              "request id " +
                                                  request.request_id,
                                              "internal"}));
  }
};

class RoleCheck final : public Middleware {
 public:
  void handle(RouteRequest& request, Responder respond, Next next) override {
    // A path no route matched has no declaration to check: the router's 404 or 405 answers it,
    // to an authenticated caller, as it would for an admin.
    if (request.route.empty() || request.access->allows(request.caller))
      return next(request, std::move(respond));
    respond(request.error(ApiError{ErrorCode::kPermissionDenied,
                                   "this route is not open to the caller's roles",
                                   "insufficient_role"}));
  }
};

}  // namespace

std::shared_ptr<Middleware> make_role_check() {
  return std::make_shared<RoleCheck>();
}

void Next::operator()(RouteRequest& request, Responder respond) const {
  if (index_ == chain_->stages_.size()) return chain_->terminal_(request, std::move(respond));
  chain_->stages_[index_]->handle(request, std::move(respond), Next(*chain_, index_ + 1));
}

MiddlewareChain::MiddlewareChain(ChainOptions options,
                                 std::vector<std::unique_ptr<Middleware>> listener_stages,
                                 Terminal terminal)
    : terminal_(std::move(terminal)) {
  if (options.metrics) stages_.push_back(std::make_shared<Metrics>(std::move(options.metrics)));
  if (options.access_log) stages_.push_back(std::make_shared<AccessLog>());
  stages_.push_back(std::make_shared<ExceptionGuard>());
  for (auto& stage : listener_stages) stages_.push_back(std::move(stage));
  if (options.address_limit) stages_.push_back(std::move(options.address_limit));
  if (options.authentication) {
    stages_.push_back(std::move(options.authentication));
    stages_.push_back(make_role_check());
  }
  if (options.caller_limit) stages_.push_back(std::move(options.caller_limit));
}

}  // namespace orderd::http
