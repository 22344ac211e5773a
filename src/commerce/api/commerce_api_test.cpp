// The /api/v1 routes in process, over the real engine and SQLite store: the bad input of issue
// 14 (a long Idempotency-Key, baskets over the cap, warehouses past the cap) answered as clear
// 4xx problems that write nothing, and every reservation refusal a client error.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <optional>

#include "commerce/api/commerce_api_fixture.hpp"
#include "common/json_writer.hpp"

namespace orderd::commerce::api {
namespace {

constexpr std::size_t kMaxLines = 100;
constexpr std::size_t kMaxWarehouses = 3;

CatalogSpec catalog() {
  CatalogSpec spec;
  spec.warehouses = {{"main", "Main", 1}, {"backup", "Backup", 2}};
  spec.products.push_back({{1, "CUP", "Cup", 1500, "USD", 0, 0}, {{"main", 500}}});
  spec.products.push_back({{2, "MUG", "Mug", 900, "USD", 0, 0}, {{"main", 2}}});
  return spec;
}

class CommerceApiTest : public CommerceApiFixture {
 protected:
  CommerceApiTest() : CommerceApiFixture(shop_options(), catalog()) {}
  static ShopOptions shop_options() {
    ShopOptions options;
    options.payment_timeout_ms = 50;
    options.max_basket_lines = kMaxLines;
    options.max_warehouses = kMaxWarehouses;
    return options;
  }
  // A basket of `lines` lines, each { "product_id": product, "quantity": 1 }.
  static boost::json::array lines(std::size_t count, boost::json::value product = 1) {
    boost::json::array items;
    for (std::size_t i = 0; i < count; ++i)
      items.push_back({{"product_id", product}, {"quantity", 1}});
    return items;
  }
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
  ASSERT_EQ(shop.catalog.warehouses().size(), kMaxWarehouses);
  const std::int64_t stock_events = rows("events");
  Answer fourth = send("PUT", "/api/v1/products/1/stock/south", R"({"restock":5})");
  ASSERT_EQ(fourth.status, 422u) << fourth.text;
  EXPECT_EQ(code_of(fourth), "too_many_warehouses") << fourth.text;
  EXPECT_EQ(fourth.body.at("max_warehouses").as_int64(), 3) << fourth.text;
  EXPECT_EQ(shop.catalog.warehouses().size(), kMaxWarehouses);
  EXPECT_EQ(shop.stock.ledger().warehouses().size(), kMaxWarehouses);
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
