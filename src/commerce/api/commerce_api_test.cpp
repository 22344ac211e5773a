// The /api/v1 routes in process, over the real engine and SQLite store: the bad input of issue
// 14 (a long Idempotency-Key, baskets over the cap, warehouses past the cap) answered as clear
// 4xx problems that write nothing, and every reservation refusal a client error.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>

#include "commerce/api/commerce_api.hpp"
#include "commerce/events/event_feed.hpp"
#include "commerce/shop.hpp"
#include "common/json_writer.hpp"
#include "ingress/router.hpp"
#include "support/engine_harness.hpp"

namespace orderd::commerce::api {
namespace {

using orderd::testing::EngineHarness;

constexpr std::size_t kMaxLines = 100;
constexpr std::size_t kMaxWarehouses = 3;

CatalogSpec catalog() {
  CatalogSpec spec;
  spec.warehouses = {{"main", "Main", 1}, {"backup", "Backup", 2}};
  spec.products.push_back({{1, "CUP", "Cup", 1500, "USD", 0, 0}, {{"main", 500}}});
  spec.products.push_back({{2, "MUG", "Mug", 900, "USD", 0, 0}, {{"main", 2}}});
  return spec;
}

struct Answer {
  unsigned status = 0;
  boost::json::object body;
  std::string text;
  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
  std::vector<std::pair<std::string, std::string>> headers;
};

class CommerceApiTest : public ::testing::Test {
 protected:
  CommerceApiTest() : shop(shop_options()) {
    shop.register_services(harness.registry);
    harness.before_recover = [this](store::Store& store, Scheduler& scheduler, Engine& engine) {
      shop.attach(engine, scheduler);
      shop.load(store);
      this->scheduler = &scheduler;
      if (!shop.has_catalog()) {
        seeding = true;
        engine.write_rows(shop.seed(catalog(), scheduler.now_ms()), [this] { seeding = false; });
      }
    };
  }
  static ShopOptions shop_options() {
    ShopOptions options;
    options.payment_timeout_ms = 50;
    options.max_basket_lines = kMaxLines;
    options.max_warehouses = kMaxWarehouses;
    return options;
  }
  void SetUp() override {
    harness.start();
    ASSERT_TRUE(harness.run_until([&] { return !seeding; }));
    feed = std::make_unique<EventFeed>(harness.engine(), *scheduler, shop.outbox());
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

  // The route's answer, as the ingress would dispatch it (a route that throws fails the test).
  Answer send(const std::string& method, const std::string& target, const std::string& body = "",
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    auto request = std::make_unique<http::RouteRequest>(
        http::Request{method, target, body, std::move(headers), nullptr});
    http::RouteMatch match = router.match(method, request->segments);
    EXPECT_EQ(match.kind, http::RouteMatch::Kind::kRoute) << method << " " << target;
    if (match.kind != http::RouteMatch::Kind::kRoute) return {};
    request->family = match.family;
    request->route = match.route;
    request->params = std::move(match.params);
    request->request_id = "req_test";
    std::optional<http::Response> response;
    (*match.handler)(*request, [&](http::Response r) { response = std::move(r); });
    EXPECT_TRUE(harness.run_until([&] { return response.has_value(); }));
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
  // A basket of `lines` lines, each { "product_id": product, "quantity": 1 }.
  static boost::json::array lines(std::size_t count, boost::json::value product = 1) {
    boost::json::array items;
    for (std::size_t i = 0; i < count; ++i)
      items.push_back({{"product_id", product}, {"quantity", 1}});
    return items;
  }
  std::int64_t rows(const std::string& table) {
    return harness.query_int("SELECT count(*) FROM rows WHERE tbl = '" + table + "'");
  }

  EngineHarness harness;
  Shop shop;
  Scheduler* scheduler = nullptr;
  bool seeding = false;
  std::unique_ptr<EventFeed> feed;
  std::unique_ptr<http::FrontDoor> front_door;
  std::unique_ptr<CommerceApi> api;
  http::Router router;
};

// Issue 14: a 300-character Idempotency-Key answered 500 with "basic_string::substr: __pos
// (which is 4) > this->size()": the route derived the reservation id from the refused reply's
// empty invocation id.
TEST_F(CommerceApiTest, ALongIdempotencyKeyIsA400NeverA500) {
  const std::string key(300, 'k');
  const std::string basket = json::dump(boost::json::object{{"items", lines(1)}});
  Answer reservation = send("POST", "/api/v1/reservations", basket, {{"idempotency-key", key}});
  EXPECT_EQ(reservation.status, 400u) << reservation.text;
  EXPECT_EQ(code_of(reservation), "invalid_idempotency_key") << reservation.text;
  EXPECT_EQ(reservation.text.find("substr"), std::string::npos) << reservation.text;
  EXPECT_EQ(reservation.header("location"), nullptr);

  const std::string order = json::dump(
      boost::json::object{{"user_id", 7}, {"items", lines(1)}, {"payment_method", "mock"}});
  Answer placed = send("POST", "/api/v1/orders", order, {{"idempotency-key", key}});
  EXPECT_EQ(placed.status, 400u) << placed.text;
  EXPECT_EQ(code_of(placed), "invalid_idempotency_key") << placed.text;

  Answer stock =
      send("PUT", "/api/v1/products/1/stock/main", R"({"restock":1})", {{"idempotency-key", key}});
  EXPECT_EQ(stock.status, 400u) << stock.text;
  EXPECT_EQ(rows("held_reservations"), 0);
  EXPECT_EQ(rows("orders"), 0);
}

// Issue 14: a 5,000-line basket was read line by line (and merged in quadratic time) before its
// size was looked at. Refused whole on its count: one violation, not one per line.
TEST_F(CommerceApiTest, ABasketOverTheCapIsRefusedBeforeAnyLineIsRead) {
  // Lines that would each be a violation if they were read.
  const boost::json::array huge = lines(5000, "not an id");
  for (const char* path : {"/api/v1/reservations", "/api/v1/orders"}) {
    SCOPED_TRACE(path);
    boost::json::object body{{"items", huge}, {"user_id", 7}, {"payment_method", "mock"}};
    Answer a = send("POST", path, json::dump(body));
    EXPECT_EQ(a.status, 400u) << a.text.substr(0, 500);
    EXPECT_EQ(code_of(a), "validation_failed");
    const auto& errors = a.body.at("errors").as_array();
    ASSERT_EQ(errors.size(), 1u) << a.text.substr(0, 500);
    EXPECT_EQ(errors[0].at("field").as_string(), "items");
    EXPECT_EQ(errors[0].at("code").as_string(), "too_many_items");
    EXPECT_NE(std::string(errors[0].at("message").as_string()).find("100"), std::string::npos)
        << errors[0];
  }
  // At the cap, the same product on every line: accepted, merged into one line.
  Answer at_cap =
      send("POST", "/api/v1/reservations", json::dump(boost::json::object{{"items", lines(100)}}));
  EXPECT_EQ(at_cap.status, 201u) << at_cap.text;
  ASSERT_EQ(at_cap.body.at("items").as_array().size(), 1u) << at_cap.text;
  EXPECT_EQ(at_cap.body.at("items").as_array()[0].at("quantity").as_int64(), 100);
  Answer over =
      send("POST", "/api/v1/reservations", json::dump(boost::json::object{{"items", lines(101)}}));
  EXPECT_EQ(over.status, 400u) << over.text;
  EXPECT_EQ(rows("held_reservations"), 1);
  EXPECT_EQ(rows("orders"), 0);
}

// A stock write naming one warehouse too many is a 422 that writes nothing; the known ones
// stay writable.
TEST_F(CommerceApiTest, AWarehousePastTheCapIsRefusedAndWritesNothing) {
  Answer third = send("PUT", "/api/v1/products/1/stock/north", R"({"on_hand":5})");
  EXPECT_EQ(third.status, 200u) << third.text;
  ASSERT_EQ(shop.warehouses().size(), kMaxWarehouses);
  const std::int64_t stock_events = rows("events");
  Answer fourth = send("PUT", "/api/v1/products/1/stock/south", R"({"restock":5})");
  ASSERT_EQ(fourth.status, 422u) << fourth.text;
  EXPECT_EQ(code_of(fourth), "too_many_warehouses") << fourth.text;
  EXPECT_EQ(fourth.body.at("max_warehouses").as_int64(), 3) << fourth.text;
  EXPECT_EQ(shop.warehouses().size(), kMaxWarehouses);
  EXPECT_EQ(shop.ledger().warehouses().size(), kMaxWarehouses);
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM rows WHERE tbl = 'warehouses' AND "
                              "CAST(key AS TEXT) = 'south'"),
            0);
  EXPECT_EQ(rows("events"), stock_events);
  Answer known = send("PUT", "/api/v1/products/2/stock/north", R"({"restock":5})");
  EXPECT_EQ(known.status, 200u) << known.text;
}

// Every way a reservation is refused is a client error (or 409 out_of_stock, per the
// conventions), never a 500.
TEST_F(CommerceApiTest, ReservationRefusalsAreClientErrors) {
  struct Case {
    const char* name;
    std::string method, target, body;
    unsigned status;
    std::string code;
  };
  Answer held = send("POST", "/api/v1/reservations",
                     R"({"items":[{"product_id":2,"quantity":1}],"user_id":7})");
  ASSERT_EQ(held.status, 201u) << held.text;
  const std::string id(held.body.at("id").as_string());
  const std::vector<Case> cases{
      {"out of stock", "POST", "/api/v1/reservations",
       R"({"items":[{"product_id":2,"quantity":2}]})", 409, "out_of_stock"},
      {"unknown product", "POST", "/api/v1/reservations",
       R"({"items":[{"product_id":99,"quantity":1}]})", 400, "validation_failed"},
      {"ttl too long", "POST", "/api/v1/reservations",
       R"({"items":[{"product_id":1,"quantity":1}],"ttl_seconds":604801})", 400,
       "validation_failed"},
      {"ttl zero", "POST", "/api/v1/reservations",
       R"({"items":[{"product_id":1,"quantity":1}],"ttl_seconds":0})", 400, "validation_failed"},
      {"no items", "POST", "/api/v1/reservations", R"({"items":[]})", 400, "validation_failed"},
      {"not json", "POST", "/api/v1/reservations", "{", 400, "invalid_json"},
      {"release unknown", "POST", "/api/v1/reservations/res_nope/release", "", 404,
       "reservation_not_found"},
  };
  for (const auto& c : cases) {
    Answer a = send(c.method, c.target, c.body);
    EXPECT_EQ(a.status, c.status) << c.name << ": " << a.text;
    EXPECT_EQ(code_of(a), c.code) << c.name << ": " << a.text;
  }
  Answer released = send("POST", "/api/v1/reservations/" + id + "/release");
  EXPECT_EQ(released.status, 200u) << released.text;
  Answer again = send("POST", "/api/v1/reservations/" + id + "/release");
  EXPECT_EQ(again.status, 200u) << again.text;  // released before: the same answer
  EXPECT_EQ(again.body.at("status").as_string(), "released");
  // One an order bought is no longer the holder's to release.
  Answer bought = send("POST", "/api/v1/reservations",
                       R"({"items":[{"product_id":1,"quantity":1}],"user_id":7})");
  ASSERT_EQ(bought.status, 201u) << bought.text;
  const std::string bought_id(bought.body.at("id").as_string());
  Answer order =
      send("POST", "/api/v1/orders",
           json::dump(boost::json::object{
               {"user_id", 7}, {"reservation_id", bought_id}, {"payment_method", "mock"}}));
  ASSERT_EQ(order.status, 201u) << order.text;
  Answer used = send("POST", "/api/v1/reservations/" + bought_id + "/release");
  EXPECT_EQ(used.status, 409u) << used.text;
  EXPECT_EQ(code_of(used), "reservation_not_held") << used.text;
}

}  // namespace
}  // namespace orderd::commerce::api
