// The router alone: templates and their parameters, precedence, families, 404 and 405.
#include "ingress/router.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <stdexcept>

#include "ingress/http_target.hpp"

namespace orderd::http {
namespace {

// A handler that only marks which route it is; the tests read RouteMatch.
RouteHandler tagged(int& called, int tag) {
  return [&called, tag](const RouteRequest&, Responder) { called = tag; };
}

class RouterTest : public ::testing::Test {
 protected:
  RouteMatch match(std::string_view method, const std::string& target) {
    targets.push_back(target);  // the segments are views into it
    return router.match(method, split_target(targets.back()).segments);
  }
  const std::string* param(const RouteMatch& m, std::string_view name) {
    for (const auto& [k, v] : m.params)
      if (k == name) return &v;
    return nullptr;
  }

  Router router{RouteFamily::kRestate};
  std::deque<std::string> targets;
  int called = 0;
};

TEST_F(RouterTest, TemplatesCaptureTheirParameters) {
  router.claim("/api", RouteFamily::kApi);
  router.add(Method::kGet, "/api/v1/orders/{id}", tagged(called, 1), RouteFamily::kApi);
  router.add(Method::kGet, "/api/v1/products/{id}/stock/{warehouse}", tagged(called, 2),
             RouteFamily::kApi);

  auto order = match("GET", "/api/v1/orders/ord_42?expand=items");
  ASSERT_EQ(order.kind, RouteMatch::Kind::kRoute);
  EXPECT_EQ(order.route, "/api/v1/orders/{id}");
  EXPECT_EQ(order.family, RouteFamily::kApi);
  ASSERT_EQ(order.params.size(), 1u);
  EXPECT_EQ(*param(order, "id"), "ord_42");

  auto stock = match("GET", "/api/v1/products/p%2F1/stock/Oslo%20East/");
  ASSERT_EQ(stock.kind, RouteMatch::Kind::kRoute);
  EXPECT_EQ(*param(stock, "id"), "p/1");  // decoded after splitting: %2F stays in its segment
  EXPECT_EQ(*param(stock, "warehouse"), "Oslo East");
  (*stock.handler)(RouteRequest(Request{}), {});
  EXPECT_EQ(called, 2);

  EXPECT_EQ(match("GET", "/api/v1/orders").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(match("GET", "/api/v1/orders/a/b").kind, RouteMatch::Kind::kNotFound);
}

TEST_F(RouterTest, LiteralSegmentsBeatParameters) {
  router.add(Method::kGet, "/orders/{id}", tagged(called, 1));
  router.add(Method::kGet, "/orders/search", tagged(called, 2));
  router.add(Method::kPost, "/orders/{id}/cancel", tagged(called, 3));
  router.add(Method::kPost, "/orders/drafts/cancel", tagged(called, 4));

  EXPECT_EQ(match("GET", "/orders/search").route, "/orders/search");
  EXPECT_EQ(match("GET", "/orders/o-1").route, "/orders/{id}");
  EXPECT_EQ(match("POST", "/orders/drafts/cancel").route, "/orders/drafts/cancel");
  // The literal branch has no route for this path: the parameter's still does.
  auto cancel = match("POST", "/orders/search/cancel");
  EXPECT_EQ(cancel.route, "/orders/{id}/cancel");
  EXPECT_EQ(*param(cancel, "id"), "search");
}

TEST_F(RouterTest, ALiteralWithoutTheMethodFallsBackToAParameterThatHasIt) {
  router.add(Method::kGet, "/orders/{id}", tagged(called, 1));
  router.add(Method::kPost, "/orders/search", tagged(called, 2));
  auto get = match("GET", "/orders/search");
  ASSERT_EQ(get.kind, RouteMatch::Kind::kRoute);
  EXPECT_EQ(get.route, "/orders/{id}");
  EXPECT_EQ(match("POST", "/orders/search").route, "/orders/search");
}

TEST_F(RouterTest, AnotherMethodIsA405ThatListsTheAllowedOnes) {
  router.add(Method::kPost, "/orders/{id}", tagged(called, 1));
  router.add(Method::kGet, "/orders/{id}", tagged(called, 2));
  router.add(Method::kDelete, "/orders/{id}", tagged(called, 3));
  auto put = match("PUT", "/orders/o-1");
  EXPECT_EQ(put.kind, RouteMatch::Kind::kWrongMethod);
  EXPECT_EQ(put.allow, "GET, POST, DELETE");
  EXPECT_EQ(put.family, RouteFamily::kRestate);
  // A method the router does not know is wrong as well.
  EXPECT_EQ(match("BREW", "/orders/o-1").kind, RouteMatch::Kind::kWrongMethod);
}

TEST_F(RouterTest, TheFallbackAnswersWhatNoRouteMatchesOutsideClaimedPrefixes) {
  router.claim("/api", RouteFamily::kApi);
  router.claim("/restate", RouteFamily::kRestate);
  router.add(Method::kGet, "/health", tagged(called, 1));
  router.add(Method::kGet, "/api/v1/orders/{id}", tagged(called, 2), RouteFamily::kApi);
  router.set_fallback(tagged(called, 9), "/{Service}/{handler}");

  auto invoke = match("POST", "/OrderService/ProcessOrder");
  EXPECT_EQ(invoke.kind, RouteMatch::Kind::kFallback);
  EXPECT_EQ(invoke.route, "/{Service}/{handler}");
  EXPECT_EQ(invoke.family, RouteFamily::kRestate);
  // A claimed prefix is never the fallback's, whatever its shape.
  auto api = match("POST", "/api/v1/orders");
  EXPECT_EQ(api.kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(api.family, RouteFamily::kApi);
  EXPECT_EQ(match("GET", "/api").family, RouteFamily::kApi);
  EXPECT_EQ(match("POST", "/restate/nothing").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(match("POST", "/restate/nothing").family, RouteFamily::kRestate);
  // A matched path with another method is a 405, not the fallback's.
  EXPECT_EQ(match("POST", "/health").kind, RouteMatch::Kind::kWrongMethod);
  // "apiary" is not under "/api": claims are whole segments.
  EXPECT_EQ(match("POST", "/apiary/run").kind, RouteMatch::Kind::kFallback);
}

TEST_F(RouterTest, EachPathHasOneFamily) {
  router.claim("/api", RouteFamily::kApi);
  // A parameter at the root does not reach into a claimed prefix of another family.
  router.add(Method::kGet, "/{service}", tagged(called, 1));
  EXPECT_EQ(match("GET", "/OrderService").kind, RouteMatch::Kind::kRoute);
  EXPECT_EQ(match("GET", "/api").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router.family_of(split_target("/api/v1/x").segments), RouteFamily::kApi);
  EXPECT_EQ(router.family_of(split_target("/OrderService/run").segments), RouteFamily::kRestate);
}

TEST_F(RouterTest, MistakesAreFoundAtStartup) {
  router.claim("/api", RouteFamily::kApi);
  router.add(Method::kGet, "/api/v1/orders/{id}", tagged(called, 1), RouteFamily::kApi);
  EXPECT_THROW(router.claim("/admin", RouteFamily::kRestate), std::invalid_argument);
  EXPECT_THROW(
      router.add(Method::kGet, "/api/v1/orders/{order}", tagged(called, 1), RouteFamily::kApi),
      std::invalid_argument);  // the same route under another parameter name
  EXPECT_THROW(router.add(Method::kGet, "/api/v1/carts", tagged(called, 1)),
               std::invalid_argument);  // Restate family under the /api claim
  EXPECT_THROW(router.add(Method::kGet, "/webhooks", tagged(called, 1), RouteFamily::kApi),
               std::invalid_argument);  // /api family outside its claim
  for (const char* bad :
       {"orders", "/orders/{}", "/orders/{id", "/orders/x{id}", "/a?b", "/orders/{i-d}"}) {
    EXPECT_THROW(router.add(Method::kGet, bad, tagged(called, 1)), std::invalid_argument) << bad;
  }
}

TEST(MethodTest, NamesRoundTrip) {
  for (auto m : {Method::kGet, Method::kHead, Method::kPost, Method::kPut, Method::kPatch,
                 Method::kDelete, Method::kOptions})
    EXPECT_EQ(parse_method(to_string(m)), m);
  EXPECT_EQ(parse_method("get"), std::nullopt);  // methods are case-sensitive
}

TEST_F(RouterTest, EachMatchCarriesWhatItsRouteDeclaredAboutAccess) {
  router.claim("/api", RouteFamily::kApi);
  RouteAccess admin{RouteAccess::Exposure::kInternal, auth::Role::kAdmin, false, "write"};
  router.add(Method::kPut, "/api/v1/products/{id}", tagged(called, 1), RouteFamily::kApi, admin);
  router.add(Method::kGet, "/api/v1/products/{id}", tagged(called, 2), RouteFamily::kApi);
  router.set_fallback(tagged(called, 3), "/{Service}/{handler}", access::shop("invoke"));

  auto put = match("PUT", "/api/v1/products/7");
  EXPECT_EQ(put.access->exposure, RouteAccess::Exposure::kInternal);
  EXPECT_EQ(put.access->roles, auth::RoleSet(auth::Role::kAdmin));
  EXPECT_EQ(put.access->rate_class, "write");
  auto get = match("GET", "/api/v1/products/7");  // declared nothing: the defaults
  EXPECT_EQ(get.access->exposure, RouteAccess::Exposure::kPublic);
  EXPECT_EQ(get.access->rate_class, "default");
  EXPECT_EQ(match("POST", "/OrderService/ProcessOrder").access->rate_class, "invoke");
  EXPECT_EQ(match("GET", "/api/v2/nothing").access, &default_route_access());

  // routes() lists each of them once, the fallback too (the route walk reads it).
  auto routes = router.routes();
  ASSERT_EQ(routes.size(), 3u);
  int fallbacks = 0;
  for (const auto& r : routes) {
    if (r.method == "*") {
      ++fallbacks;
      EXPECT_EQ(r.route, "/{Service}/{handler}");
      EXPECT_TRUE(r.access->roles.has(auth::Role::kCustomer));
    } else {
      EXPECT_EQ(r.route, "/api/v1/products/{id}");
    }
  }
  EXPECT_EQ(fallbacks, 1);
}

}  // namespace
}  // namespace orderd::http
