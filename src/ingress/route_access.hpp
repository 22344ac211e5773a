#pragma once
// What a route declares about who may reach it, on the router beside its template, so that the
// stages after routing (authentication, roles, rate limits) decide per route without knowing the
// routes: the front door (front_door.hpp) and the middleware chain read it from the RouteRequest.
//
// R1. Every route declares its roles (or `anonymous`): a route that declares neither is refused
//     to everyone but admin once authentication is on, and router_walk_test fails on it.
// R2. admin may call every route, whatever it declares (auth/caller.hpp).
#include <string>

#include "auth/caller.hpp"

namespace orderd::http {

struct RouteAccess {
  enum class Exposure {
    kPublic,    // any caller of the listener
    kInternal,  // orderd's own callers: the public ingress answers 404 unless the caller is
                // `service` or `admin`
  };
  Exposure exposure = Exposure::kPublic;
  // The roles allowed once authentication is on (R1, R2). Ignored while it is off (A1).
  auth::RoleSet roles;
  // No token needed, even with authentication on: /health and /ready only.
  bool anonymous = false;
  // The rate-limit class the route's requests count against ("read", "write", "invoke", ...).
  std::string rate_class = "default";

  bool declared() const { return anonymous || !roles.empty(); }
  // Whether `caller` may call the route (the 403 decision; 401 comes before, A1).
  bool allows(const auth::Caller& caller) const {
    return caller.open || anonymous || caller.has(auth::Role::kAdmin) ||
           caller.roles.intersects(roles);
  }
};

// The defaults, for paths no route matched: declares nothing (R1).
inline const RouteAccess& default_route_access() {
  static const RouteAccess access;
  return access;
}

// The usual declarations.
namespace access {
using auth::Role;
// Anyone who may use the shop: customers (their own data), services and admins.
inline RouteAccess shop(std::string rate_class) {
  return {RouteAccess::Exposure::kPublic, Role::kCustomer | Role::kService, false,
          std::move(rate_class)};
}
// Admins only (R2): the catalog's writes, the admin listener.
inline RouteAccess admin(std::string rate_class) {
  return {RouteAccess::Exposure::kPublic, Role::kAdmin, false, std::move(rate_class)};
}
// Back-end services and admins.
inline RouteAccess service(std::string rate_class) {
  return {RouteAccess::Exposure::kPublic, Role::kService, false, std::move(rate_class)};
}
// No token needed: liveness and readiness.
inline RouteAccess anonymous() {
  return {RouteAccess::Exposure::kPublic, {}, true, "health"};
}
}  // namespace access

}  // namespace orderd::http
