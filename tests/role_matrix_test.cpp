// Issue 15's role matrix, on the real binary with authentication on (--jwt-hs256-secret-file):
// customers A (100) and B (200) each place an order and hold a reservation, and A tries every
// route against B's: creating for B, reading, cancelling, releasing, listing, payments, events
// (pulled and streamed) and B's order's invocation output. Each refusal is the answer for an
// unknown id (404) or a 403 with its code, and nothing of B's changes; admins see both, services
// list every order, and a customer cannot write the catalog. (A2 in auth/caller.hpp; C1-C3 in
// commerce/api/customer_scope.hpp.)
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "auth/jwt_signer.hpp"
#include "client/http_client.hpp"
#include "client/http_stream.hpp"
#include "client/sse_reader.hpp"
#include "support/json_fields.hpp"
#include "support/orderd_process.hpp"
#include "support/temp_dir.hpp"

namespace orderd::testing {
namespace {

using client::Headers;
using client::HttpClient;
using client::HttpResult;
using namespace std::chrono_literals;

constexpr std::int64_t kA = 100;
constexpr std::int64_t kB = 200;
const std::string kSecret = "role-matrix-test-secret-of-more-than-32-bytes";
const std::string kUnknownOrder = "ord_00000000000000000000000000";
const std::string kUnknownReservation = "res_00000000000000000000000000";

std::string token(const std::string& sub, const std::string& role) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return auth::mint_hs256(
      {{"sub", sub}, {"roles", boost::json::array{role.c_str()}}, {"exp", now + 3600}}, kSecret);
}

// The secret file, written before orderd starts: its path.
std::string write_secret(const TempDir& dir) {
  const std::string path = (dir.path() / "jwt-secret").string();
  std::ofstream(path) << kSecret;
  return path;
}

std::string basket(std::optional<std::int64_t> user = std::nullopt) {
  std::string body = R"({"items":[{"product_id":1,"quantity":1}],"payment_method":"mock")";
  if (user) body += ",\"user_id\":" + std::to_string(*user);
  return body + "}";
}

std::string code_of(const HttpResult& r) {
  auto o = object_of(r.body);
  return o ? string_at(*o, "code") : "";
}

// The ids in a list's `data`.
std::vector<std::string> ids_of(const HttpResult& r) {
  std::vector<std::string> ids;
  auto o = object_of(r.body);
  if (!o || !o->contains("data")) return ids;
  for (const auto& item : o->at("data").as_array())
    ids.emplace_back(item.as_object().at("id").as_string());
  return ids;
}

class RoleMatrixTest : public ::testing::Test {
 protected:
  RoleMatrixTest()
      : orderd(data.path().string(), {"--jwt-hs256-secret-file", write_secret(keys),
                                      "--latency-scale", "0", "--failure-scale", "0"}) {}

  // A request as `bearer` (a token; empty: none).
  HttpResult call(const std::string& bearer, const std::string& method, const std::string& path,
                  const std::string& body = "") {
    Headers headers;
    if (!bearer.empty()) headers.emplace_back("authorization", "Bearer " + bearer);
    return api.request(method, path, body, headers);
  }
  // An order and a reservation of `user`'s, each made by the customer itself: their ids.
  std::pair<std::string, std::string> shop_as(const std::string& bearer, std::int64_t user) {
    HttpResult order = call(bearer, "POST", "/api/v1/orders", basket());
    EXPECT_EQ(order.status, 201u) << order.body;
    auto o = object_of(order.body);
    EXPECT_EQ(o ? int_at(*o, "user_id") : 0, user) << order.body;
    HttpResult reservation = call(bearer, "POST", "/api/v1/reservations", basket());
    EXPECT_EQ(reservation.status, 201u) << reservation.body;
    auto r = object_of(reservation.body);
    return {o ? string_at(*o, "id") : "", r ? string_at(*r, "id") : ""};
  }
  // `got` is exactly what an unknown id gets: status, code, and the detail with the id swapped.
  void expect_as_unknown(const HttpResult& got, const HttpResult& unknown, const std::string& id,
                         const std::string& unknown_id) {
    EXPECT_EQ(got.status, 404u) << got.body;
    EXPECT_EQ(got.status, unknown.status) << unknown.body;
    EXPECT_EQ(code_of(got), code_of(unknown)) << got.body;
    auto g = object_of(got.body), u = object_of(unknown.body);
    ASSERT_TRUE(g && u);
    std::string detail = string_at(*g, "detail");
    if (auto at = detail.find(id); at != std::string::npos)
      detail.replace(at, id.size(), unknown_id);
    EXPECT_EQ(detail, string_at(*u, "detail"));
  }

  TempDir keys;
  TempDir data;
  OrderdProcess orderd;
  HttpClient api{orderd.port()};
  const std::string a = token(std::to_string(kA), "customer");
  const std::string b = token(std::to_string(kB), "customer");
  const std::string admin = token("ops", "admin");
  const std::string service = token("billing", "service");
};

// The precondition of the matrix: authentication is on, and a customer without a user id gets
// only the catalog.
TEST_F(RoleMatrixTest, AuthenticationIsOnAndACustomerNeedsAUserId) {
  HttpResult anonymous = call("", "GET", "/api/v1/orders");
  EXPECT_EQ(anonymous.status, 401u) << anonymous.body;
  EXPECT_EQ(call("", "GET", "/health").status, 200u);
  const std::string nameless = token("alice", "customer");
  HttpResult orders = call(nameless, "GET", "/api/v1/orders");
  EXPECT_EQ(orders.status, 403u) << orders.body;
  EXPECT_EQ(code_of(orders), "customer_without_user_id") << orders.body;
  EXPECT_EQ(call(nameless, "GET", "/api/v1/products").status, 200u);
}

// A on every route that names one of B's: 403 or the unknown id's 404, and B's untouched.
TEST_F(RoleMatrixTest, ACustomerCannotTouchAnotherCustomersOrdersOrReservations) {
  const auto [order_b, reservation_b] = shop_as(b, kB);
  shop_as(a, kA);

  HttpResult for_b = call(a, "POST", "/api/v1/orders", basket(kB));
  EXPECT_EQ(for_b.status, 403u) << for_b.body;
  EXPECT_EQ(code_of(for_b), "user_id_mismatch");
  HttpResult held_for_b = call(a, "POST", "/api/v1/reservations", basket(kB));
  EXPECT_EQ(held_for_b.status, 403u) << held_for_b.body;
  EXPECT_EQ(code_of(held_for_b), "user_id_mismatch");

  expect_as_unknown(call(a, "GET", "/api/v1/orders/" + order_b),
                    call(a, "GET", "/api/v1/orders/" + kUnknownOrder), order_b, kUnknownOrder);
  expect_as_unknown(call(a, "POST", "/api/v1/orders/" + order_b + "/cancel", "{}"),
                    call(a, "POST", "/api/v1/orders/" + kUnknownOrder + "/cancel", "{}"), order_b,
                    kUnknownOrder);
  expect_as_unknown(call(a, "GET", "/api/v1/reservations/" + reservation_b),
                    call(a, "GET", "/api/v1/reservations/" + kUnknownReservation), reservation_b,
                    kUnknownReservation);
  expect_as_unknown(call(a, "POST", "/api/v1/reservations/" + reservation_b + "/release"),
                    call(a, "POST", "/api/v1/reservations/" + kUnknownReservation + "/release"),
                    reservation_b, kUnknownReservation);
  // The order's saga is an invocation A did not start: its output and attach are 404 too.
  const std::string invocation_b = "inv_" + order_b.substr(4);  // commerce/orders/order.hpp
  for (const char* what : {"output", "attach"}) {
    HttpResult r = call(a, "GET", "/restate/invocation/" + invocation_b + "/" + what);
    EXPECT_EQ(r.status, 404u) << what << ": " << r.body;
    // A service reaches it (the shop's sagas are internal: no customer does, not even B).
    EXPECT_EQ(call(service, "GET", "/restate/invocation/" + invocation_b + "/" + what).status, 200u)
        << what;
  }

  // B's are as they were.
  HttpResult still = call(b, "GET", "/api/v1/orders/" + order_b);
  ASSERT_EQ(still.status, 200u) << still.body;
  EXPECT_EQ(string_at(*object_of(still.body), "status"), "confirmed");
  HttpResult held = call(b, "GET", "/api/v1/reservations/" + reservation_b);
  ASSERT_EQ(held.status, 200u) << held.body;
  EXPECT_EQ(string_at(*object_of(held.body), "status"), "held");
  // And a customer may not write the catalog.
  HttpResult product =
      call(a, "PUT", "/api/v1/products/1", R"({"name":"x","sku":"DEMO-0001","unit_price":0})");
  EXPECT_EQ(product.status, 403u) << product.body;
  EXPECT_EQ(code_of(product), "insufficient_role") << product.body;
}

// Lists, payments and events: A's own only; admins see both, services list every order.
TEST_F(RoleMatrixTest, ACustomerListsAndFollowsOnlyItsOwn) {
  const auto [order_b, reservation_b] = shop_as(b, kB);
  const auto [order_a, reservation_a] = shop_as(a, kA);
  const auto [order_b2, reservation_b2] = shop_as(b, kB);

  EXPECT_EQ(ids_of(call(a, "GET", "/api/v1/orders")), std::vector<std::string>{order_a});
  HttpResult list_b = call(a, "GET", "/api/v1/orders?user_id=200");
  EXPECT_EQ(list_b.status, 403u) << list_b.body;
  EXPECT_EQ(code_of(list_b), "user_id_mismatch");
  const std::set<std::string> every{order_a, order_b, order_b2};
  for (const std::string* bearer : {&admin, &service}) {
    auto all = ids_of(call(*bearer, "GET", "/api/v1/orders"));
    EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), every);
  }
  EXPECT_EQ(call(admin, "GET", "/api/v1/orders/" + order_b).status, 200u);
  EXPECT_EQ(call(admin, "GET", "/api/v1/reservations/" + reservation_a).status, 200u);

  // Payments: B's order has some, and A sees none of them; A's own are there.
  EXPECT_FALSE(ids_of(call(admin, "GET", "/api/v1/payments?order_id=" + order_b)).empty());
  EXPECT_TRUE(ids_of(call(a, "GET", "/api/v1/payments?order_id=" + order_b)).empty());
  EXPECT_FALSE(ids_of(call(a, "GET", "/api/v1/payments?order_id=" + order_a)).empty());

  // Events, pulled: exactly the events of A's order, in order, as the admin sees them.
  std::vector<std::string> expected;
  auto everything = object_of(call(admin, "GET", "/api/v1/events?limit=1000").body);
  ASSERT_TRUE(everything);
  for (const auto& e : everything->at("data").as_array())
    if (e.as_object().at("subject").as_string() == order_a)
      expected.emplace_back(e.as_object().at("id").as_string());
  ASSERT_GE(expected.size(), 2u);
  std::vector<std::string> pulled;
  std::string after;
  for (int page = 0; page < 50; ++page) {
    std::string path = "/api/v1/events?limit=2";
    if (!after.empty()) path += "&after=" + after;
    auto body = object_of(call(a, "GET", path).body);
    ASSERT_TRUE(body);
    for (const auto& e : body->at("data").as_array()) {
      EXPECT_EQ(string_at(e.as_object(), "subject"), order_a) << e;
      pulled.emplace_back(e.as_object().at("id").as_string());
    }
    if (!body->at("has_more").as_bool()) break;
    after = string_at(*body, "next_after");
  }
  EXPECT_EQ(pulled, expected);

  // Events, streamed from the beginning: the same, and then a new order of A's after a new one
  // of B's arrives with none of B's before it.
  client::HttpStream stream(orderd.port(), "127.0.0.1", "/api/v1/events/stream",
                            {{"authorization", "Bearer " + a}}, 10s);
  ASSERT_EQ(stream.status(), 200u);
  client::SseReader reader(stream);
  auto next_event = [&]() -> boost::json::object {
    for (;;) {
      auto m = reader.next();
      if (!m) return {};
      if (!m->data.empty()) return boost::json::parse(m->data).as_object();
    }
  };
  for (const auto& id : expected) {
    auto e = next_event();
    EXPECT_EQ(string_at(e, "id"), id) << e;
  }
  shop_as(b, kB);
  HttpResult later = call(a, "POST", "/api/v1/orders", basket());
  ASSERT_EQ(later.status, 201u) << later.body;
  const std::string order_a2 = string_at(*object_of(later.body), "id");
  auto first_live = next_event();
  EXPECT_EQ(string_at(first_live, "subject"), order_a2) << first_live;
  EXPECT_EQ(string_at(first_live, "type"), "order.created") << first_live;
}

// Issue 17's mailbox over HTTP: a service sends each customer an email; each customer lists only
// its own, filtered or not, and cannot send one (the service is internal: 404).
TEST_F(RoleMatrixTest, ACustomerListsOnlyItsOwnNotifications) {
  auto send = [&](std::int64_t user, const std::string& trip) {
    const std::string body =
        R"({"to":"u)" + std::to_string(user) +
        R"(@example.com","subject":"Trip","body":"ok","kind":"trip.confirmed",)"
        R"("tripId":")" +
        trip + R"(","customerId":")" + std::to_string(user) + R"("})";
    HttpResult sent = call(service, "POST", "/NotificationService/SendEmail", body);
    EXPECT_EQ(sent.status, 200u) << sent.body;
    auto o = object_of(sent.body);
    return o ? string_at(*o, "notificationId") : "";
  };
  const std::string to_a = send(kA, "trip_shared");
  const std::string to_b = send(kB, "trip_shared");
  EXPECT_EQ(ids_of(call(a, "GET", "/api/v1/notifications")), std::vector<std::string>{to_a});
  EXPECT_EQ(ids_of(call(b, "GET", "/api/v1/notifications")), std::vector<std::string>{to_b});
  EXPECT_EQ(ids_of(call(a, "GET", "/api/v1/notifications?trip_id=trip_shared")),
            std::vector<std::string>{to_a});
  EXPECT_EQ(ids_of(call(a, "GET", "/api/v1/notifications?to=u200@example.com")),
            std::vector<std::string>{});
  EXPECT_EQ(ids_of(call(a, "GET", "/api/v1/notifications?ending_before=" + to_a)),
            std::vector<std::string>{});
  EXPECT_EQ(ids_of(call(service, "GET", "/api/v1/notifications")),
            (std::vector<std::string>{to_b, to_a}));
  HttpResult forged = call(a, "POST", "/NotificationService/SendEmail",
                           R"({"to":"x@example.com","subject":"s","kind":"k","customerId":"200"})");
  EXPECT_EQ(forged.status, 404u) << forged.body;
  EXPECT_EQ(call("", "GET", "/api/v1/notifications").status, 401u);
}

}  // namespace
}  // namespace orderd::testing
