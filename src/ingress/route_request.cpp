#include "ingress/route_request.hpp"

#include "ingress/http_target.hpp"

namespace orderd::http {
namespace {

const std::string* find(const Params& params, std::string_view name) {
  for (const auto& [k, v] : params)
    if (k == name) return &v;
  return nullptr;
}

}  // namespace

RouteRequest::RouteRequest(Request r) : request(std::move(r)) {
  Target t = split_target(request.target);
  segments = std::move(t.segments);
  for (std::string_view rest = t.query; !rest.empty();) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    query.emplace_back(percent_decode(pair.substr(0, eq)), percent_decode(value));
  }
}

std::string_view RouteRequest::path() const {
  std::string_view target = request.target;
  return target.substr(0, target.find('?'));
}

const std::string* RouteRequest::param(std::string_view name) const {
  return find(params, name);
}

const std::string* RouteRequest::query_param(std::string_view name) const {
  return find(query, name);
}

}  // namespace orderd::http
