#pragma once
// The /api/v1 routes in process, for the route-level tests: a shop over the real engine and
// SQLite store (support/engine_harness.hpp), its routes on a router, and requests dispatched as
// the ingress would, with the caller the authentication stage would have set.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/caller.hpp"
#include "commerce/api/commerce_api.hpp"
#include "commerce/events/event_feed.hpp"
#include "commerce/shop.hpp"
#include "ingress/router.hpp"
#include "support/engine_harness.hpp"

namespace orderd::commerce::api {

struct Answer {
  unsigned status = 0;
  boost::json::object body;
  std::string text;
  std::vector<std::pair<std::string, std::string>> headers;
  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
};

class CommerceApiFixture : public ::testing::Test {
 protected:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  CommerceApiFixture(ShopOptions options, CatalogSpec catalog)
      : shop(options), catalog_(std::move(catalog)) {
    shop.register_services(harness.registry);
    harness.before_recover = [this](store::Store& store, Scheduler& scheduler, Engine& engine) {
      shop.attach(engine, scheduler);
      shop.load(store);
      this->scheduler = &scheduler;
      if (shop.catalog.empty()) {
        seeding = true;
        engine.write_rows(seed_rows(shop, catalog_, scheduler.now_ms()),
                          [this] { seeding = false; });
      }
    };
  }
  void SetUp() override {
    harness.start();
    ASSERT_TRUE(harness.run_until([&] { return !seeding; }));
    feed = std::make_unique<EventFeed>(harness.engine(), *scheduler, shop.outbox);
    front_door = std::make_unique<http::FrontDoor>(harness.engine(), *scheduler, harness.registry);
    api =
        std::make_unique<CommerceApi>(shop, *front_door, *scheduler, *feed, CommerceRouteOptions{});
    router.claim("/api", http::RouteFamily::kApi);
    api->add_routes(router);
  }
  void TearDown() override {
    api.reset();
    front_door.reset();
    feed.reset();
    harness.crash();
  }

  // The route's response as the ingress would dispatch it, called by `caller` (open: as with
  // authentication off). A route that throws fails the test.
  std::optional<http::Response> dispatch(const std::string& method, const std::string& target,
                                         const std::string& body = "", Headers headers = {},
                                         const auth::Caller& caller = {}) {
    auto request = std::make_unique<http::RouteRequest>(
        http::Request{method, target, body, std::move(headers), nullptr});
    http::RouteMatch match = router.match(method, request->segments);
    EXPECT_EQ(match.kind, http::RouteMatch::Kind::kRoute) << method << " " << target;
    if (match.kind != http::RouteMatch::Kind::kRoute) return std::nullopt;
    request->family = match.family;
    request->route = match.route;
    request->params = std::move(match.params);
    request->request_id = "req_test";
    request->caller = caller;
    request->principal = caller.principal();
    std::optional<http::Response> response;
    (*match.handler)(*request, [&](http::Response r) { response = std::move(r); });
    EXPECT_TRUE(harness.run_until([&] { return response.has_value(); }));
    requests_.push_back(std::move(request));  // a route may hold it until it has answered
    return response;
  }
  Answer send(const std::string& method, const std::string& target, const std::string& body = "",
              Headers headers = {}, const auth::Caller& caller = {}) {
    auto response = dispatch(method, target, body, std::move(headers), caller);
    if (!response) return {};
    Answer answer{response->status, {}, response->body, response->headers};
    boost::system::error_code ec;
    auto parsed = boost::json::parse(response->body, ec);
    if (!ec && parsed.is_object()) answer.body = parsed.as_object();
    return answer;
  }
  static std::string code_of(const Answer& a) {
    const auto* code = a.body.if_contains("code");
    return code && code->is_string() ? std::string(code->as_string()) : "";
  }
  std::int64_t rows(const std::string& table) {
    return harness.query_int("SELECT count(*) FROM rows WHERE tbl = '" + table + "'");
  }

  orderd::testing::EngineHarness harness;
  Shop shop;
  Scheduler* scheduler = nullptr;
  bool seeding = false;
  std::unique_ptr<EventFeed> feed;
  std::unique_ptr<http::FrontDoor> front_door;
  std::unique_ptr<CommerceApi> api;
  http::Router router;

 private:
  CatalogSpec catalog_;
  std::vector<std::unique_ptr<http::RouteRequest>> requests_;
};

}  // namespace orderd::commerce::api
