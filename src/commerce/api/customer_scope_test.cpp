// A2 in the commerce routes (customer_scope.hpp, C1-C3), at route level: customers A (100) and
// B (200) each place orders and hold reservations, and A tries every route against B's data.
// Each attack is the request A would send, and checks that nothing of B's was read or written;
// lists and event pages of A's are full, with right cursors, while B's data interleaves.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "commerce/api/commerce_api_fixture.hpp"
#include "commerce/api/event_query.hpp"
#include "common/json_writer.hpp"

namespace orderd::commerce::api {
namespace {

constexpr std::int64_t kA = 100;
constexpr std::int64_t kB = 200;

CatalogSpec catalog() {
  CatalogSpec spec;
  spec.warehouses = {{"main", "Main", 1}};
  spec.products.push_back({{1, "CUP", "Cup", 1500, "USD", 0, 0}, {{"main", 10'000}}});
  return spec;
}

auth::Caller with_roles(std::string subject, auth::RoleSet roles) {
  auth::Caller c;
  c.open = false;
  c.subject = std::move(subject);
  c.roles = roles;
  return c;
}
auth::Caller customer(std::int64_t user) {
  return with_roles(std::to_string(user), auth::Role::kCustomer);
}
const auth::Caller kService = with_roles("billing", auth::Role::kService);
const auth::Caller kAdmin = with_roles("ops", auth::Role::kAdmin);

std::string basket_body(std::optional<std::int64_t> user) {
  boost::json::object body{{"items", boost::json::array{{{"product_id", 1}, {"quantity", 1}}}},
                           {"payment_method", "mock"}};
  if (user) body["user_id"] = *user;
  return json::dump(body);
}

class CustomerScopeTest : public CommerceApiFixture {
 protected:
  CustomerScopeTest() : CommerceApiFixture(options(), catalog()) {}
  static ShopOptions options() {
    ShopOptions o;
    o.payment_timeout_ms = 50;
    return o;
  }

  // An order placed by `user` itself (its body names nobody): its id.
  std::string place(std::int64_t user) {
    Answer a = send("POST", "/api/v1/orders", basket_body(std::nullopt), {}, customer(user));
    EXPECT_EQ(a.status, 201u) << a.text;
    EXPECT_EQ(a.body.at("user_id").as_int64(), user) << a.text;
    return std::string(a.body.at("id").as_string());
  }
  std::string reserve(std::int64_t user) {
    Answer a = send("POST", "/api/v1/reservations", basket_body(std::nullopt), {}, customer(user));
    EXPECT_EQ(a.status, 201u) << a.text;
    return std::string(a.body.at("id").as_string());
  }
  // The ids in a list's `data`.
  static std::vector<std::string> ids(const Answer& a) {
    std::vector<std::string> out;
    if (!a.body.contains("data")) return out;
    for (const auto& item : a.body.at("data").as_array())
      out.emplace_back(item.at("id").as_string());
    return out;
  }
  // The same 404 as an unknown id: status, code, and the detail with the id swapped.
  void expect_unknown(const Answer& got, const Answer& unknown, const std::string& id,
                      const std::string& unknown_id) {
    EXPECT_EQ(got.status, 404u) << got.text;
    EXPECT_EQ(got.status, unknown.status);
    EXPECT_EQ(code_of(got), code_of(unknown)) << got.text;
    const auto* detail = got.body.if_contains("detail");
    ASSERT_TRUE(detail && detail->is_string()) << got.text;
    std::string text(detail->as_string());
    if (auto at = text.find(id); at != std::string::npos) text.replace(at, id.size(), unknown_id);
    EXPECT_EQ(text, unknown.body.at("detail").as_string());
    EXPECT_EQ(got.body.size(), unknown.body.size()) << got.text << "\n" << unknown.text;
  }
};

// C1: a customer whose sub is not a user id reaches only the catalog's reads.
TEST_F(CustomerScopeTest, ACustomerWithoutAUserIdIsRefusedEverywhereButTheCatalog) {
  const std::string order = place(kB);
  const std::string reservation = reserve(kB);
  const std::int64_t orders = rows("orders"), held = rows("held_reservations");
  for (const char* subject : {"alice", "007", "-5", "12abc", "0"}) {
    SCOPED_TRACE(subject);
    const auth::Caller nameless = with_roles(subject, auth::Role::kCustomer);
    struct Route {
      const char* method;
      std::string target, body;
    };
    const std::vector<Route> routes{
        {"POST", "/api/v1/orders", basket_body(std::nullopt)},
        {"POST", "/api/v1/orders", basket_body(kB)},
        {"GET", "/api/v1/orders", ""},
        {"GET", "/api/v1/orders/" + order, ""},
        {"POST", "/api/v1/orders/" + order + "/cancel", ""},
        {"POST", "/api/v1/reservations", basket_body(std::nullopt)},
        {"GET", "/api/v1/reservations/" + reservation, ""},
        {"POST", "/api/v1/reservations/" + reservation + "/release", ""},
        {"GET", "/api/v1/payments?order_id=" + order, ""},
        {"GET", "/api/v1/events", ""},
        {"GET", "/api/v1/events/stream", ""},
    };
    for (const auto& r : routes) {
      Answer a = send(r.method, r.target, r.body, {}, nameless);
      EXPECT_EQ(a.status, 403u) << r.method << " " << r.target << ": " << a.text;
      EXPECT_EQ(code_of(a), "customer_without_user_id") << r.method << " " << r.target;
    }
    EXPECT_EQ(send("GET", "/api/v1/products", "", {}, nameless).status, 200u);
    EXPECT_EQ(send("GET", "/api/v1/products/1", "", {}, nameless).status, 200u);
  }
  EXPECT_EQ(rows("orders"), orders);
  EXPECT_EQ(rows("held_reservations"), held);
  EXPECT_EQ(send("GET", "/api/v1/orders/" + order, "", {}, customer(kB)).status, 200u);
}

// C2: A cannot create an order or a reservation for B; without user_id it is A's own.
TEST_F(CustomerScopeTest, ACustomerCannotCreateForAnotherUser) {
  Answer order = send("POST", "/api/v1/orders", basket_body(kB), {}, customer(kA));
  EXPECT_EQ(order.status, 403u) << order.text;
  EXPECT_EQ(code_of(order), "user_id_mismatch") << order.text;
  Answer reservation = send("POST", "/api/v1/reservations", basket_body(kB), {}, customer(kA));
  EXPECT_EQ(reservation.status, 403u) << reservation.text;
  EXPECT_EQ(code_of(reservation), "user_id_mismatch") << reservation.text;
  // "200" as a string of digits is user 200 too.
  Answer as_text = send("POST", "/api/v1/orders",
                        R"({"user_id":"200","items":[{"product_id":1,"quantity":1}],)"
                        R"("payment_method":"mock"})",
                        {}, customer(kA));
  EXPECT_EQ(code_of(as_text), "user_id_mismatch") << as_text.text;
  EXPECT_EQ(rows("orders"), 0);
  EXPECT_EQ(rows("held_reservations"), 0);
  EXPECT_EQ(rows("reservations"), 0);

  // Its own id, or none: A's.
  Answer own = send("POST", "/api/v1/orders", basket_body(kA), {}, customer(kA));
  EXPECT_EQ(own.status, 201u) << own.text;
  EXPECT_EQ(own.body.at("user_id").as_int64(), kA);
  place(kA);
  const std::string held = reserve(kA);
  ASSERT_NE(shop.stock.held(held), nullptr);
  EXPECT_EQ(shop.stock.held(held)->owner, "user:100");
  // Services and admins place orders for any user.
  EXPECT_EQ(send("POST", "/api/v1/orders", basket_body(kB), {}, kService).status, 201u);
  EXPECT_EQ(send("POST", "/api/v1/reservations", basket_body(kB), {}, kAdmin).status, 201u);
  // A bad user_id is still a validation error, not a permission one.
  Answer bad = send("POST", "/api/v1/orders",
                    basket_body(std::nullopt).replace(1, 0, R"("user_id":-1,)"), {}, customer(kA));
  EXPECT_EQ(bad.status, 400u) << bad.text;
}

// C3: B's order is an unknown order to A, for reading and for cancelling.
TEST_F(CustomerScopeTest, AnotherUsersOrderIsAnUnknownOrder) {
  const std::string theirs = place(kB);
  const std::string mine = place(kA);
  const std::string unknown = "ord_00000000000000000000000000";
  Answer missing = send("GET", "/api/v1/orders/" + unknown, "", {}, customer(kA));
  ASSERT_EQ(missing.status, 404u) << missing.text;

  expect_unknown(send("GET", "/api/v1/orders/" + theirs, "", {}, customer(kA)), missing, theirs,
                 unknown);
  const std::int64_t events = rows("events");
  const std::int64_t journal = harness.query_int("SELECT count(*) FROM invocations");
  Answer missing_cancel =
      send("POST", "/api/v1/orders/" + unknown + "/cancel", "", {}, customer(kA));
  expect_unknown(send("POST", "/api/v1/orders/" + theirs + "/cancel", R"({"reason":"mine now"})",
                      {}, customer(kA)),
                 missing_cancel, theirs, unknown);
  EXPECT_EQ(rows("events"), events);  // nothing cancelled, refunded or journaled
  EXPECT_EQ(harness.query_int("SELECT count(*) FROM invocations"), journal);
  Answer still = send("GET", "/api/v1/orders/" + theirs, "", {}, customer(kB));
  EXPECT_EQ(still.status, 200u) << still.text;
  EXPECT_EQ(still.body.at("status").as_string(), "confirmed");

  // Their owners, services and admins reach them.
  EXPECT_EQ(send("GET", "/api/v1/orders/" + mine, "", {}, customer(kA)).status, 200u);
  EXPECT_EQ(send("GET", "/api/v1/orders/" + theirs, "", {}, kService).status, 200u);
  EXPECT_EQ(send("GET", "/api/v1/orders/" + theirs, "", {}, kAdmin).status, 200u);
  Answer cancelled = send("POST", "/api/v1/orders/" + mine + "/cancel", "", {}, customer(kA));
  EXPECT_EQ(cancelled.status, 200u) << cancelled.text;
  EXPECT_EQ(cancelled.body.at("status").as_string(), "cancelled");
}

// C3: B's reservation is an unknown reservation to A; A cannot release it.
TEST_F(CustomerScopeTest, AnotherUsersReservationIsAnUnknownReservation) {
  const std::string theirs = reserve(kB);
  const std::string unknown = "res_00000000000000000000000000";
  Answer missing = send("GET", "/api/v1/reservations/" + unknown, "", {}, customer(kA));
  ASSERT_EQ(missing.status, 404u) << missing.text;
  expect_unknown(send("GET", "/api/v1/reservations/" + theirs, "", {}, customer(kA)), missing,
                 theirs, unknown);
  Answer missing_release =
      send("POST", "/api/v1/reservations/" + unknown + "/release", "", {}, customer(kA));
  expect_unknown(send("POST", "/api/v1/reservations/" + theirs + "/release", "", {}, customer(kA)),
                 missing_release, theirs, unknown);
  ASSERT_NE(shop.stock.held(theirs), nullptr);  // still held, its units still out
  EXPECT_EQ(shop.stock.ledger().levels(1)->reserved(), 1);

  // An anonymous reservation (made without user_id, by a service) is no customer's either.
  Answer anonymous = send("POST", "/api/v1/reservations",
                          R"({"items":[{"product_id":1,"quantity":1}]})", {}, kService);
  ASSERT_EQ(anonymous.status, 201u) << anonymous.text;
  const std::string anonymous_id(anonymous.body.at("id").as_string());
  EXPECT_EQ(send("GET", "/api/v1/reservations/" + anonymous_id, "", {}, customer(kA)).status, 404u);

  // B reads and releases its own; a service reads any.
  EXPECT_EQ(send("GET", "/api/v1/reservations/" + theirs, "", {}, kService).status, 200u);
  EXPECT_EQ(send("GET", "/api/v1/reservations/" + theirs, "", {}, customer(kB)).status, 200u);
  Answer released =
      send("POST", "/api/v1/reservations/" + theirs + "/release", "", {}, customer(kB));
  EXPECT_EQ(released.status, 200u) << released.text;
  // Released (no longer held, read from the table): still B's only.
  EXPECT_EQ(send("GET", "/api/v1/reservations/" + theirs, "", {}, customer(kA)).status, 404u);
  EXPECT_EQ(send("GET", "/api/v1/reservations/" + theirs, "", {}, customer(kB)).status, 200u);
}

// C3: A's list is A's orders, page after page, forwards and back, while B's interleave; asking
// for B's is refused.
TEST_F(CustomerScopeTest, ACustomersOrderListIsItsOwnInTheScan) {
  std::vector<std::string> mine;  // oldest first
  for (int i = 0; i < 7; ++i) {
    place(kB);
    mine.push_back(place(kA));
    place(kB);
  }
  const std::vector<std::string> newest_first(mine.rbegin(), mine.rend());
  std::vector<std::string> seen;
  std::string cursor;
  std::vector<std::size_t> sizes;
  for (int page = 0; page < 10; ++page) {
    std::string target = "/api/v1/orders?limit=3";
    if (!cursor.empty()) target += "&starting_after=" + cursor;
    Answer a = send("GET", target, "", {}, customer(kA));
    ASSERT_EQ(a.status, 200u) << a.text;
    auto got = ids(a);
    sizes.push_back(got.size());
    seen.insert(seen.end(), got.begin(), got.end());
    if (!a.body.at("has_more").as_bool()) break;
    cursor = got.back();
  }
  EXPECT_EQ(seen, newest_first);
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 3, 1}));  // full pages: filtered in the scan
  // Backwards from the oldest: the three before it, newest first.
  Answer back =
      send("GET", "/api/v1/orders?limit=3&ending_before=" + mine[0], "", {}, customer(kA));
  EXPECT_EQ(ids(back), (std::vector<std::string>{mine[3], mine[2], mine[1]})) << back.text;
  EXPECT_TRUE(back.body.at("has_more").as_bool());
  // By status, and naming itself: its own still.
  Answer confirmed = send("GET", "/api/v1/orders?status=confirmed&limit=100", "", {}, customer(kA));
  EXPECT_EQ(ids(confirmed), newest_first);
  Answer named = send("GET", "/api/v1/orders?user_id=100&limit=100", "", {}, customer(kA));
  EXPECT_EQ(ids(named), newest_first);
  // Naming B: refused, as a create for B is.
  Answer theirs = send("GET", "/api/v1/orders?user_id=200", "", {}, customer(kA));
  EXPECT_EQ(theirs.status, 403u) << theirs.text;
  EXPECT_EQ(code_of(theirs), "user_id_mismatch");
  // A service lists everyone's.
  EXPECT_EQ(ids(send("GET", "/api/v1/orders?limit=100", "", {}, kService)).size(), 21u);
  EXPECT_EQ(ids(send("GET", "/api/v1/orders?user_id=200&limit=100", "", {}, kService)).size(), 14u);
}

// C3: B's payments are an unknown order's to A: none.
TEST_F(CustomerScopeTest, ACustomerSeesOnlyItsOwnPayments) {
  const std::string theirs = place(kB);
  const std::string mine = place(kA);
  Answer unknown =
      send("GET", "/api/v1/payments?order_id=ord_00000000000000000000000000", "", {}, customer(kA));
  Answer got = send("GET", "/api/v1/payments?order_id=" + theirs, "", {}, customer(kA));
  EXPECT_EQ(got.status, 200u) << got.text;
  EXPECT_EQ(got.text, unknown.text);
  EXPECT_TRUE(got.body.at("data").as_array().empty()) << got.text;
  Answer own = send("GET", "/api/v1/payments?order_id=" + mine, "", {}, customer(kA));
  ASSERT_FALSE(own.body.at("data").as_array().empty()) << own.text;
  for (const auto& p : own.body.at("data").as_array())
    EXPECT_EQ(p.at("order_id").as_string(), mine);
  EXPECT_FALSE(send("GET", "/api/v1/payments?order_id=" + theirs, "", {}, kService)
                   .body.at("data")
                   .as_array()
                   .empty());
}

// C3: A's events are the events of A's orders, every one of them, in full pages; no stock or
// product event, none of B's.
TEST_F(CustomerScopeTest, ACustomersEventsAreItsOrdersEventsInTheScan) {
  std::set<std::string> mine;
  for (int i = 0; i < 4; ++i) {
    place(kB);
    mine.insert(place(kA));
    place(kB);
  }
  mine.insert(place(kA));  // the newest: no B event after it
  ASSERT_EQ(
      send("POST", "/api/v1/orders/" + *mine.begin() + "/cancel", "", {}, customer(kA)).status,
      200u);
  // Every event of A's orders, as a service sees the whole outbox.
  std::vector<std::string> expected;
  Answer all = send("GET", "/api/v1/events?limit=1000", "", {}, kService);
  bool stock_seen = false;
  for (const auto& e : all.body.at("data").as_array()) {
    const std::string subject(e.at("subject").as_string());
    stock_seen = stock_seen || std::string(e.at("type").as_string()).rfind("stock.", 0) == 0;
    if (mine.count(subject)) expected.emplace_back(e.at("id").as_string());
  }
  ASSERT_TRUE(stock_seen);
  ASSERT_GE(expected.size(), 10u);

  std::vector<std::string> seen;
  std::vector<std::size_t> sizes;
  std::string after;
  for (int page = 0; page < 20; ++page) {
    std::string target = "/api/v1/events?limit=4";
    if (!after.empty()) target += "&after=" + after;
    Answer a = send("GET", target, "", {}, customer(kA));
    ASSERT_EQ(a.status, 200u) << a.text;
    for (const auto& e : a.body.at("data").as_array()) {
      EXPECT_EQ(mine.count(std::string(e.at("subject").as_string())), 1u) << e;
      seen.emplace_back(e.at("id").as_string());
    }
    sizes.push_back(a.body.at("data").as_array().size());
    if (!a.body.at("has_more").as_bool()) break;
    after = std::string(a.body.at("next_after").as_string());
  }
  EXPECT_EQ(seen, expected);
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) EXPECT_EQ(sizes[i], 4u) << i;
  // B sees none of A's.
  Answer b = send("GET", "/api/v1/events?limit=1000", "", {}, customer(kB));
  ASSERT_FALSE(b.body.at("data").as_array().empty());
  for (const auto& e : b.body.at("data").as_array()) {
    EXPECT_EQ(mine.count(std::string(e.at("subject").as_string())), 0u) << e;
    EXPECT_EQ(std::string(e.at("type").as_string()).rfind("order.", 0), 0u) << e;
  }
}

// C3: the live stream of A carries A's orders' events only, the old ones and the new.
TEST_F(CustomerScopeTest, ACustomersEventStreamIsItsOrdersEvents) {
  const std::string before_theirs = place(kB);
  const std::string before_mine = place(kA);
  auto response = dispatch("GET", "/api/v1/events/stream", "", {}, customer(kA));
  ASSERT_TRUE(response && response->stream) << (response ? response->body : "");
  std::string text;
  // Reads pieces until `until` is in the text (or the wait runs out).
  auto read_until = [&](const std::string& until) {
    while (text.find(until) == std::string::npos) {
      std::optional<std::optional<std::string>> piece;
      response->stream->next([&](http::BodyStream::Piece p) { piece = std::move(p); });
      if (!harness.run_until([&] { return piece.has_value(); })) return false;
      if (!*piece) return false;
      text += **piece;
    }
    return true;
  };
  ASSERT_TRUE(read_until(before_mine)) << text;
  // Live: B's order first, then A's; A's stream shows only A's.
  const std::string live_theirs = place(kB);
  const std::string live_mine = place(kA);
  ASSERT_TRUE(read_until("\"order.confirmed\",\"subject\":\"" + live_mine)) << text;
  for (const std::string& theirs : {before_theirs, live_theirs})
    EXPECT_EQ(text.find(theirs), std::string::npos) << text;
  EXPECT_EQ(text.find("stock."), std::string::npos) << text;
  EXPECT_NE(text.find(before_mine), std::string::npos);
  EXPECT_NE(text.find(live_mine), std::string::npos);
  response->stream->close();
}

// The owner of an event, as the filter reads it: the fast path on what Outbox::emit writes, and
// the slow one on anything else.
TEST(OrderEventUser, ReadsTheOrdersUserAndNothingElse) {
  EXPECT_EQ(order_event_user(R"({"specversion":"1.0","id":"evt_1","type":"order.created",)"
                             R"("subject":"ord_1","version":1,"data":{"id":"ord_1","user_id":42,)"
                             R"("items":[]}})"),
            42);
  // Members in another order: read by parsing.
  EXPECT_EQ(order_event_user(R"({"type":"order.failed","data":{"user_id":7,"id":"ord_\"x"}})"), 7);
  // A stock event names a product, never a user, whatever its data says.
  EXPECT_EQ(order_event_user(R"({"type":"stock.reserved","subject":"1",)"
                             R"("data":{"id":"ord_1","user_id":42}})"),
            std::nullopt);
  // A user_id text inside a string is not the order's user.
  EXPECT_EQ(order_event_user(R"({"type":"order.created","subject":",\"data\":{\"id\":\"x\",)"
                             R"(\"user_id\":1,","data":{"id":"ord_1","user_id":2}})"),
            2);
  EXPECT_EQ(order_event_user("{not json"), std::nullopt);
}

}  // namespace
}  // namespace orderd::commerce::api
