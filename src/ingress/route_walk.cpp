#include "ingress/route_walk.hpp"

#include <algorithm>

namespace orderd::http {

std::vector<std::string> undeclared_routes(const Router& router) {
  std::vector<std::string> out;
  for (const auto& route : router.routes())
    if (!route.access->declared()) out.push_back(route.method + " " + route.route);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace orderd::http
