#pragma once
// R1 (route_access.hpp), kept: the routes of a router that declare neither roles nor
// `anonymous`. serve refuses to start while any exists, and tests/route_walk_test.cpp walks
// every listener's routes.
#include <string>
#include <vector>

#include "ingress/router.hpp"

namespace orderd::http {

// "METHOD /template" of each undeclared route ("*" and the label for the fallback), sorted.
std::vector<std::string> undeclared_routes(const Router& router);

}  // namespace orderd::http
