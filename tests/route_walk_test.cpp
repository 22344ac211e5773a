// R1 (ingress/route_access.hpp): every route of both listeners, built as serve builds them,
// declares who may call it; and the table below is what each declares (docs/API.md, "Roles").
// A new route fails this test until it declares its roles and is added to the table.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "commerce/api/commerce_api.hpp"
#include "commerce/events/event_feed.hpp"
#include "commerce/shop.hpp"
#include "ingress/admin_routes.hpp"
#include "ingress/front_door.hpp"
#include "ingress/invocation_routes.hpp"
#include "ingress/route_walk.hpp"
#include "notifications/notification_routes.hpp"
#include "services/seed_services.hpp"
#include "support/engine_harness.hpp"

namespace orderd {
namespace {

using auth::Role;
using http::RouteAccess;

// Who may call each route once authentication is on: "anyone" (no token), or the roles besides
// admin, who may call everything (R2).
std::string declared(const RouteAccess& access) {
  if (access.anonymous) return "anyone";
  std::string out;
  for (Role role : {Role::kCustomer, Role::kService}) {
    if (!access.roles.has(role)) continue;
    if (!out.empty()) out += "|";
    out += auth::to_string(role);
  }
  return out.empty() ? "admin" : out;
}

std::map<std::string, std::string> table(const http::Router& router) {
  std::map<std::string, std::string> out;
  for (const auto& route : router.routes())
    out[route.method + " " + route.route] = declared(*route.access);
  return out;
}

class RouteWalkTest : public ::testing::Test {
 protected:
  RouteWalkTest() : shop(commerce::ShopOptions{}) {
    services::register_seed_services(harness.registry, {});
    shop.register_services(harness.registry);
    harness.before_recover = [this](store::Store& store, Scheduler& scheduler, Engine& engine) {
      shop.attach(engine, scheduler);
      shop.load(store);
    };
    harness.start();
    feed =
        std::make_unique<commerce::EventFeed>(harness.engine(), harness.scheduler(), shop.outbox);
    front_door =
        std::make_unique<http::FrontDoor>(harness.engine(), harness.scheduler(), harness.registry);
    ingress = std::make_unique<http::InvocationRoutes>(*front_door, harness.registry);
    api = std::make_unique<commerce::api::CommerceApi>(
        shop, *front_door, harness.scheduler(), *feed, commerce::api::CommerceRouteOptions{});
    api->add_routes(ingress->router());
    notification_routes = std::make_unique<notifications::NotificationRoutes>(harness.engine());
    notification_routes->add_routes(ingress->router());
    admin = std::make_unique<http::AdminRoutes>(harness.engine());
  }
  ~RouteWalkTest() override {
    admin.reset();
    notification_routes.reset();
    api.reset();
    ingress.reset();
    front_door.reset();
    feed.reset();
    harness.crash();
  }

  testing::EngineHarness harness;
  commerce::Shop shop;
  std::unique_ptr<commerce::EventFeed> feed;
  std::unique_ptr<http::FrontDoor> front_door;
  std::unique_ptr<http::InvocationRoutes> ingress;
  std::unique_ptr<commerce::api::CommerceApi> api;
  std::unique_ptr<notifications::NotificationRoutes> notification_routes;
  std::unique_ptr<http::AdminRoutes> admin;
};

TEST_F(RouteWalkTest, EveryRouteOfBothListenersDeclaresWhoMayCallIt) {
  EXPECT_EQ(http::undeclared_routes(ingress->router()), std::vector<std::string>{});
  EXPECT_EQ(http::undeclared_routes(admin->router()), std::vector<std::string>{});
}

TEST_F(RouteWalkTest, TheIngressDeclaresTheDocumentedRoles) {
  const std::map<std::string, std::string> expected{
      {"GET /health", "anyone"},
      {"GET /ready", "anyone"},
      {"* /{Service}/[{key}/]{handler}[/send]", "customer|service"},
      {"GET /restate/invocation/{id}/attach", "customer|service"},
      {"GET /restate/invocation/{id}/output", "customer|service"},
      {"GET /restate/invocation/{service}/{handler}/{idempotencyKey}/attach", "customer|service"},
      {"GET /restate/invocation/{service}/{handler}/{idempotencyKey}/output", "customer|service"},
      {"GET /restate/invocation/{service}/{key}/{handler}/{idempotencyKey}/attach",
       "customer|service"},
      {"GET /restate/invocation/{service}/{key}/{handler}/{idempotencyKey}/output",
       "customer|service"},
      {"GET /restate/workflow/{workflow}/{key}/attach", "customer|service"},
      {"GET /restate/workflow/{workflow}/{key}/output", "customer|service"},
      {"POST /restate/awakeables/{id}/resolve", "service"},
      {"POST /restate/awakeables/{id}/reject", "service"},
      {"POST /restate/a/{id}/resolve", "service"},
      {"POST /restate/a/{id}/reject", "service"},
      {"GET /api/v1/products", "customer|service"},
      {"GET /api/v1/products/{id}", "customer|service"},
      {"PUT /api/v1/products/{id}", "admin"},
      {"PUT /api/v1/products/{id}/stock/{warehouse}", "admin"},
      {"POST /api/v1/reservations", "customer|service"},
      {"GET /api/v1/reservations/{id}", "customer|service"},
      {"POST /api/v1/reservations/{id}/release", "customer|service"},
      {"POST /api/v1/orders", "customer|service"},
      {"GET /api/v1/orders", "customer|service"},
      {"GET /api/v1/orders/{id}", "customer|service"},
      {"POST /api/v1/orders/{id}/cancel", "customer|service"},
      {"GET /api/v1/payments", "customer|service"},
      {"POST /api/v1/payments/{id}/retry", "admin"},
      {"GET /api/v1/events", "customer|service"},
      {"GET /api/v1/events/stream", "customer|service"},
      {"GET /api/v1/notifications", "customer|service"},
  };
  EXPECT_EQ(table(ingress->router()), expected);
}

TEST_F(RouteWalkTest, TheAdminListenerIsForAdminsButItsProbes) {
  const std::map<std::string, std::string> expected{
      {"GET /health", "anyone"},
      {"GET /ready", "anyone"},
      {"GET /invocations", "admin"},
      {"GET /invocations/{id}", "admin"},
      {"PATCH /invocations/{id}/{action}", "admin"},
  };
  EXPECT_EQ(table(admin->router()), expected);
}

TEST(RouteWalk, FindsARouteThatDeclaresNothing) {
  http::Router router;
  auto ignore = [](const http::RouteRequest&, http::Responder) {};
  router.add(http::Method::kGet, "/declared", ignore, http::RouteFamily::kRestate,
             http::access::shop("read"));
  router.add(http::Method::kPost, "/forgotten", ignore);
  router.set_fallback(ignore, "/{Service}/{handler}");
  EXPECT_EQ(http::undeclared_routes(router),
            (std::vector<std::string>{"* /{Service}/{handler}", "POST /forgotten"}));
}

}  // namespace
}  // namespace orderd
