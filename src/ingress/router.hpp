#pragma once
// Routes by method and path template, shared by the ingress and the admin listener.
//
// A template is "/"-separated segments, each a literal ("orders") or a parameter ("{id}") that
// takes one whole non-empty segment, percent-decoded: "/api/v1/products/{id}/stock/{warehouse}".
// Paths match segment by segment (repeated and trailing slashes do not count); at each segment a
// literal beats a parameter, so "/orders/search" wins over "/orders/{id}" for the methods it has.
// A path some route matches under other methods only is a 405 with an Allow header; a path no
// route matches goes to the fallback, if the router has one and the path is not claimed, or is a
// 404. Every path has one family, which its 404 and 405 are answered in: that of the prefix
// claiming it, or the router's own; only routes of that family match it.
//
// Routes are added at startup, before the listener serves: the router is read-only afterwards.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingress/error_rendering.hpp"
#include "ingress/http_types.hpp"
#include "ingress/route_access.hpp"
#include "ingress/route_request.hpp"

namespace orderd::http {

enum class Method : std::uint8_t { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions };
std::optional<Method> parse_method(std::string_view name);
std::string_view to_string(Method method);

// Answers one request, now or later, exactly once. The request stays valid until it has.
using RouteHandler = std::function<void(const RouteRequest& request, Responder respond)>;

struct RouteMatch {
  enum class Kind { kRoute, kFallback, kWrongMethod, kNotFound };
  Kind kind = Kind::kNotFound;
  RouteFamily family = RouteFamily::kRestate;
  const RouteHandler* handler = nullptr;  // kRoute and kFallback
  std::string_view route;                 // the template, or the fallback's label
  // What the route declared (Router::add), or the fallback's; the defaults when none matched.
  const RouteAccess* access = &default_route_access();
  Params params;
  std::string allow;  // kWrongMethod: "GET, POST"
};

class Router {
 public:
  // `family`: of every path outside the claimed prefixes.
  explicit Router(RouteFamily family = RouteFamily::kRestate);
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Throws std::invalid_argument for a malformed template, a (method, template) added twice, or
  // a family other than the one that claimed the template's prefix.
  void add(Method method, std::string_view path_template, RouteHandler handler,
           RouteFamily family = RouteFamily::kRestate, RouteAccess access = {});
  // Paths starting with `prefix` ("/api") belong to `family`, and only its routes answer them:
  // an unknown one is a 404 of that family, never the fallback (so "/api/v1/orders" is never
  // read as service "api", handler "v1").
  void claim(std::string_view prefix, RouteFamily family);
  // Answers every path no route matches, outside the claimed prefixes, for any method: Restate's
  // dynamic /{Service}/{handler} paths. `label` names it where a template would (metrics).
  void set_fallback(RouteHandler handler, std::string label, RouteAccess access = {});

  RouteMatch match(std::string_view method, const std::vector<std::string_view>& segments) const;

  // Every route and the fallback, in no particular order: for the route walk (R1), docs, metrics.
  struct RouteInfo {
    std::string method;  // "GET"; "*" for the fallback
    std::string route;   // the template, or the fallback's label
    const RouteAccess* access;
  };
  std::vector<RouteInfo> routes() const;
  RouteFamily family_of(const std::vector<std::string_view>& segments) const;

 private:
  struct Node;
  struct Claim {
    std::vector<std::string> prefix;
    RouteFamily family;
  };
  const Claim* claim_of(const std::vector<std::string_view>& segments) const;
  // Visits the nodes matching segments[i..], a literal child before the parameter child, until
  // `visit` returns true; `captured` then holds the parameters' raw values.
  template <class Visit>
  static bool walk(const Node& node, const std::vector<std::string_view>& segments, std::size_t i,
                   std::vector<std::string_view>& captured, Visit& visit);

  RouteFamily family_;
  std::unique_ptr<Node> root_;
  std::vector<Claim> claims_;
  RouteHandler fallback_;
  std::string fallback_label_;
  RouteAccess fallback_access_;
};

}  // namespace orderd::http
