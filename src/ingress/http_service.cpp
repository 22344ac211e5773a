#include "ingress/http_service.hpp"

#include "ingress/http_target.hpp"
#include "ingress/request_id.hpp"

namespace orderd::http {
namespace {

// A RouteRequest with what the router decided for it, which only the service reads.
struct RoutedRequest final : RouteRequest {
  using RouteRequest::RouteRequest;
  RouteMatch::Kind kind = RouteMatch::Kind::kNotFound;
  const RouteHandler* handler = nullptr;
  std::string allow;
};

// "GET, POST" -> "use GET or POST": Restate's wording for a 405.
std::string use_instead(std::string_view allow) {
  std::string message = "use ";
  for (std::size_t start = 0;;) {
    auto comma = allow.find(", ", start);
    message += allow.substr(start, comma - start);
    if (comma == std::string_view::npos) break;
    message += " or ";
    start = comma + 2;
  }
  return message;
}

}  // namespace

HttpService::HttpService(RouteFamily family, ChainOptions options,
                         std::vector<std::unique_ptr<Middleware>> listener_stages)
    : router_(family),
      chain_(std::move(options), std::move(listener_stages),
             [this](RouteRequest& request, Responder respond) {
               dispatch(request, std::move(respond));
             }) {}

void HttpService::handle(Request request, Responder respond) {
  auto routed = std::make_shared<RoutedRequest>(std::move(request));
  RoutedRequest& r = *routed;
  r.request_id = request_id_for(r.request);
  r.caller.address = r.request.remote_address;
  RouteMatch match = router_.match(r.request.method, r.segments);
  r.family = match.family;
  r.route = match.route;
  r.access = match.access;
  r.params = std::move(match.params);
  r.kind = match.kind;
  r.handler = match.handler;
  r.allow = std::move(match.allow);
  // The request lives until its answer is given (the responders below all lead here), and every
  // answer names it.
  Responder answer = [routed, respond = std::move(respond)](Response response) mutable {
    response.headers.emplace_back("x-request-id", routed->request_id);
    respond(std::move(response));
  };
  chain_.run(r, std::move(answer));
}

void HttpService::dispatch(RouteRequest& request, Responder respond) const {
  auto& r = static_cast<RoutedRequest&>(request);
  switch (r.kind) {
    case RouteMatch::Kind::kRoute:
    case RouteMatch::Kind::kFallback:
      return (*r.handler)(request, std::move(respond));
    case RouteMatch::Kind::kWrongMethod:
      return respond(request.error(method_not_allowed(use_instead(r.allow), r.allow)));
    case RouteMatch::Kind::kNotFound:
      break;
  }
  respond(request.error(ApiError{ErrorCode::kNotFound, "not found: " + request.target()}));
}

Response HttpService::refusal(const ApiError& error, const Request* head) const {
  const std::string id = head ? request_id_for(*head) : new_request_id();
  const RouteFamily family =
      head ? router_.family_of(split_target(head->target).segments) : router_.family_of({});
  Response r = render_error(family, error, id);
  r.headers.emplace_back("x-request-id", id);
  return r;
}

}  // namespace orderd::http
