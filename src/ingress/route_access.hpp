#pragma once
// What a route declares about who may reach it, on the router beside its template, so that the
// stages after routing (authentication, roles, rate limits) decide per route without knowing the
// routes: the front door (front_door.hpp) and the middleware chain read it from the RouteRequest.
#include <string>
#include <vector>

namespace orderd::http {

struct RouteAccess {
  enum class Exposure {
    kPublic,    // any caller of the listener
    kInternal,  // orderd's own callers: the public ingress answers 404 (the authentication issue
                // lets the `service` and `admin` roles through)
  };
  Exposure exposure = Exposure::kPublic;
  // The roles allowed; empty: any caller the listener lets in.
  std::vector<std::string> roles;
  // The rate-limit class the route's requests count against ("read", "write", "invoke", ...).
  std::string rate_class = "default";
};

// The defaults, for routes that declare nothing and for paths no route matched.
inline const RouteAccess& default_route_access() {
  static const RouteAccess access;
  return access;
}

}  // namespace orderd::http
